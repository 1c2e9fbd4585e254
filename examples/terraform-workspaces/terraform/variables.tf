# CodeDetect infrastructure inputs.
#
# The defaults below ARE production: production runs in Terraform's `default`
# workspace with no tfvars file. Staging overrides a few of them in
# staging.tfvars (`terraform workspace select staging`).

variable "aws_region" {
  description = "AWS region for every resource"
  type        = string
  default     = "ap-southeast-1"
}

variable "project_name" {
  type    = string
  default = "codedetect"
}

variable "environment" {
  description = "Environment tag on every resource"
  type        = string
  default     = "production"
}

variable "instance_type" {
  description = "EC2 size of each application node (same in both environments, for consistency)"
  type        = string
  default     = "t3.micro"
}

variable "instance_count" {
  description = "Application nodes per blue/green environment"
  type        = number
  default     = 1
}

variable "db_instance_class" {
  type    = string
  default = "db.t3.micro"
}

variable "db_allocated_storage" {
  description = "RDS storage in GB"
  type        = number
  default     = 20
}

variable "ebs_volume_size" {
  description = "Data volume of the application node, in GB"
  type        = number
  default     = 20
}

variable "db_backup_retention_days" {
  type    = number
  default = 7
}

variable "db_username" {
  type    = string
  default = "codedetect"
}

variable "db_password" {
  description = "Given on the command line: -var=\"db_password=$DB_PASSWORD\""
  type        = string
  sensitive   = true
}

variable "s3_bucket_name" {
  description = "Bucket for uploaded submissions"
  type        = string
  default     = "codedetect-prod-uploads-2025"
}

variable "enable_domain" {
  description = "Route53 record and ACM certificate (HTTPS)"
  type        = bool
  default     = true
}

variable "domain_name" {
  type    = string
  default = "codedetect.example.com"
}

variable "alarm_prefix" {
  description = "Prefix of CloudWatch alarm names and notification subjects"
  type        = string
  default     = "[PROD]"
}

variable "alert_email" {
  type    = string
  default = "ops@codedetect.example.com"
}

variable "docker_tag" {
  type    = string
  default = "latest"
}

variable "active_environment" {
  description = "Which blue/green target group receives traffic"
  type        = string
  default     = "blue"
}
