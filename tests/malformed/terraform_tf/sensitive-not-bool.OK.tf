variable "instance_type" {
  default = "t3.small"
  sensitive = "yes"
}
