variable "instance_type" {
  default = "t3.small"
}
resource "aws_instance" "web" {
  instance_type = var.nope
}
