tags = {
  a = 1
