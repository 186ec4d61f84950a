import sys
from pathlib import Path

# the problem tables live beside the tests
sys.path.insert(0, str(Path(__file__).parent))
