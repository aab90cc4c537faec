"""cocotb benches: loaded by the simulator, not collected by pytest (no test_ prefix)."""
