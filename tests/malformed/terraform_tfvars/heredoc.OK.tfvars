script = <<-EOT
  echo hi
  EOT
