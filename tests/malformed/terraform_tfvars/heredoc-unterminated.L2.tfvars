script = <<EOF
line
