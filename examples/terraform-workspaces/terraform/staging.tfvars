# Staging workspace: terraform workspace select staging
#   terraform apply -var-file="staging.tfvars" -var="db_password=$DB_PASSWORD"
# Same sizes as production (architectural parity); separate data, no domain.

environment    = "staging"
s3_bucket_name = "codedetect-staging-uploads-2025"

# No Route53 record or ACM certificate in staging: saves certificate costs.
enable_domain = false
domain_name   = ""

alarm_prefix = "[STAGING]"
