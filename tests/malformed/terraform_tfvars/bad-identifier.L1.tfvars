1abc = 2
