"""Ready-made studies: a cohort loader, its audit and the manifest the cohort tools read.

:mod:`radiomix.studies.busi` serves the BUSI breast-ultrasound layout (and any folder laid
out the same way): reading and mask merging, the duplicate audit that defines the groups of
every split, the cohort summary and the ``case_id,image,mask,label,group`` manifest.
"""

from __future__ import annotations

__all__: list[str] = []
