"""Only what pyproject.toml cannot say: ship moto_bedrock_autoload.pth at the wheel's root.

Python runs a .pth file's `import` line at start-up; ours activates moto-bedrock only when
MOTO_BEDROCK_AUTOLOAD=1, so the stock `moto_server` command (or any process) can serve Bedrock
without code changes, and every other interpreter pays nothing.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "moto_bedrock_autoload.pth"


class BuildWithAutoload(build_py):
    def run(self) -> None:
        super().run()
        self.copy_file(PTH, str(Path(self.build_lib) / PTH))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        return [*super().get_outputs(include_bytecode), str(Path(self.build_lib) / PTH)]


setup(cmdclass={"build_py": BuildWithAutoload})
