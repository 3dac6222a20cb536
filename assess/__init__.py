"""assess: score an SME against the 专精特新 criteria and explain what to improve."""

__version__ = "0.1.0"
