"""Speed and memory benchmarks of resizer-plugin, as ratios against reference compositions."""
