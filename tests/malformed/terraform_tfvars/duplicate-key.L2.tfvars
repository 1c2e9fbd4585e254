instance_type = "a"
instance_type = "b"
