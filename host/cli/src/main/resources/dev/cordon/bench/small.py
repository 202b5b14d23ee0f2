x = sum(i * i for i in range(100))
print('small run', x)
