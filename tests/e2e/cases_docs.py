"""The stacking README shows is the one this suite logs in through."""
import os

import pamd
from suite import case, check


@case("README's PAM stacking section shows examples/pam.d as tested")
def readme_shows_the_tested_files(m):
    examples = m.paths["examples"]
    readme = open(os.path.join(examples, "..", "README.md")).read()
    for example in pamd.SERVICES:
        lines = [line for line in open(os.path.join(examples, "pam.d", example)) if not line.startswith("#")]
        check("".join(lines) in readme, f"README.md shows examples/pam.d/{example} line for line")
