"""`python -m evalguard` runs the command line."""
from evalguard.cli import main

if __name__ == "__main__":
    main()
