instance_type =
