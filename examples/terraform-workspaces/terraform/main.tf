terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.aws_region
}

locals {
  name_prefix = "${var.project_name}-${var.environment}"
  https_count = var.enable_domain ? 1 : 0
  common_tags = {
    Project     = var.project_name
    Environment = var.environment
    Workspace   = terraform.workspace
  }
}

resource "aws_instance" "blue" {
  count         = var.instance_count
  ami           = data.aws_ami.ubuntu.id
  instance_type = var.instance_type

  user_data = <<-EOT
    #!/bin/bash
    docker pull nyeinthunaing/codedetect:${var.docker_tag}
    docker run -d -p 5000:5000 nyeinthunaing/codedetect:${var.docker_tag}
  EOT

  tags = merge(local.common_tags, { Name = "${local.name_prefix}-blue" })
}

resource "aws_instance" "green" {
  count         = var.instance_count
  ami           = data.aws_ami.ubuntu.id
  instance_type = var.instance_type
  tags          = merge(local.common_tags, { Name = "${local.name_prefix}-green" })
}

resource "aws_db_instance" "main" {
  identifier              = "${local.name_prefix}-db"
  engine                  = "postgres"
  instance_class          = var.db_instance_class
  allocated_storage       = var.db_allocated_storage
  backup_retention_period = var.db_backup_retention_days
  multi_az                = false
  username                = var.db_username
  password                = var.db_password
  skip_final_snapshot     = var.environment != "production"
  tags                    = local.common_tags
}

# The application load balancer in front of the active colour (its HTTPS listener is below).
resource "aws_lb" "main" {
  name               = "${local.name_prefix}-alb"
  load_balancer_type = "application"
  internal           = false
  tags               = local.common_tags
}

# The application's data volume (EFS holds uploads; this holds the Docker data).
resource "aws_ebs_volume" "data" {
  availability_zone = "${var.aws_region}a"
  size              = var.ebs_volume_size
  type              = "gp2"
  tags              = merge(local.common_tags, { Name = "${local.name_prefix}-data" })
}

resource "aws_s3_bucket" "uploads" {
  bucket = var.s3_bucket_name
  tags   = local.common_tags
}

# Domain and SSL: production only (staging saves the certificate costs).
resource "aws_acm_certificate" "main" {
  count             = local.https_count
  domain_name       = var.domain_name
  validation_method = "DNS"
}

resource "aws_route53_record" "app" {
  count   = var.enable_domain ? 1 : 0
  name    = var.domain_name
  type    = "A"
  zone_id = data.aws_route53_zone.main[0].zone_id
}

resource "aws_lb_listener" "https" {
  count             = local.https_count
  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  certificate_arn   = aws_acm_certificate.main[0].arn
}

resource "aws_cloudwatch_metric_alarm" "cpu_high" {
  alarm_name          = "${var.alarm_prefix} ${local.name_prefix} CPU high"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 2
  metric_name         = "CPUUtilization"
  namespace           = "AWS/EC2"
  period              = 300
  threshold           = 80
}
