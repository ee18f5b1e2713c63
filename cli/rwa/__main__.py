from rwa.cli.app import main

main()
