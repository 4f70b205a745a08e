"""Pure domain: value objects and rules. No framework, driver or I/O imports."""
