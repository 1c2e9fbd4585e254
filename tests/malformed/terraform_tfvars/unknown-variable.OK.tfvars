not_declared = 1
