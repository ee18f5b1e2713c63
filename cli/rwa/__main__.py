from rwa.cli import main

main()
