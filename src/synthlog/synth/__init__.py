"""Code-guided synthesis: slot values, consistency checking, labels, session assembly."""
