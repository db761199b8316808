from heartsong.cli import main

main()
