"""Survey analysis: loading and codebooks, weighting, the survey design, estimates, banner tables, NPS,
reliability, drivers.

The public names below are what notebooks and outside scripts use; each lives in the module named for its
concept (``loading``, ``weighting``, ``design``, ``estimates``, ``banner``, ...), where its docstring gives the
formula and the source it is validated against. ``redact`` lives in the shared layer
(:mod:`cfresearch.privacy`) and is offered here too, as it always was.
"""

from cfresearch.privacy import redact

from .banner import BannerTable, banner
from .codebook import Codebook, CodebookError, Variable, codebook_yaml_for
from .design import SurveyDesign, survey_design
from .drivers import DriverResult, importance_performance, key_drivers
from .estimates import weighted_estimate, weighted_mean_diff_test
from .loading import Survey, SurveyDataError, load_survey, load_targets
from .nps import NPSResult, NPSTest, nps, nps_by, nps_classes, nps_group, nps_test
from .ordinal import OrdinalResult, ordinal_regression
from .reliability import AlphaResult, OmegaResult, cronbach_alpha, omega, reliability_table, scale_scores
from .segments import profile_table, segment_profiles
from .verbatims import exemplar_comments
from .waves import describe_snapshot, kpi_scores, wave_change, wave_snapshot
from .weighting import RakeResult, RakingError, effective_n, kish_deff, post_stratify, rake, rake_by

__all__ = [
    "AlphaResult", "BannerTable", "Codebook", "CodebookError", "DriverResult", "NPSResult", "NPSTest",
    "OmegaResult", "OrdinalResult", "RakeResult", "RakingError", "Survey", "SurveyDataError", "SurveyDesign",
    "Variable", "banner", "codebook_yaml_for", "cronbach_alpha", "describe_snapshot", "effective_n",
    "exemplar_comments", "importance_performance", "key_drivers", "kish_deff", "kpi_scores", "load_survey",
    "load_targets", "nps", "nps_by", "nps_classes", "nps_group", "nps_test", "omega", "ordinal_regression",
    "post_stratify", "profile_table", "rake", "rake_by", "redact", "reliability_table", "scale_scores",
    "segment_profiles", "survey_design", "wave_change", "wave_snapshot", "weighted_estimate",
    "weighted_mean_diff_test",
]
