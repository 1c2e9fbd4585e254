variable "x" {
  default = "abc
}
