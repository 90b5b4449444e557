"""LEAN's algorithm framework: insights, alpha, portfolio construction, risk, execution and
universe selection models (see ``docs/framework.md``)."""

from lean_local.framework.alphas import AlphaModel, CompositeAlphaModel, ConstantAlphaModel, NullAlphaModel
from lean_local.framework.execution import ExecutionModel, ImmediateExecutionModel, NullExecutionModel
from lean_local.framework.insight_collection import InsightCollection, InsightManager
from lean_local.framework.insights import (
    GeneratedInsightsCollection,
    Insight,
    InsightDirection,
    InsightScore,
    InsightScoreType,
    InsightType,
)
from lean_local.framework.optimized_construction import (
    MeanReversionPortfolioConstructionModel,
    MeanVarianceOptimizationPortfolioConstructionModel,
    ReturnsSymbolData,
    RiskParityPortfolioConstructionModel,
)
from lean_local.framework.optimizers import (
    MaximumSharpeRatioPortfolioOptimizer,
    MinimumVariancePortfolioOptimizer,
    RiskParityPortfolioOptimizer,
    UnconstrainedMeanVariancePortfolioOptimizer,
)
from lean_local.framework.portfolio_construction import (
    ConfidenceWeightedPortfolioConstructionModel,
    EqualWeightingPortfolioConstructionModel,
    InsightWeightingPortfolioConstructionModel,
    NullPortfolioConstructionModel,
    PortfolioBias,
    PortfolioConstructionModel,
    SectorWeightingPortfolioConstructionModel,
)
from lean_local.framework.return_alphas import (
    BasePairsTradingAlphaModel,
    HistoricalReturnsAlphaModel,
    PearsonCorrelationPairsTradingAlphaModel,
)
from lean_local.framework.risk import (
    CompositeRiskManagementModel,
    MaximumDrawdownPercentPerSecurity,
    MaximumDrawdownPercentPortfolio,
    MaximumSectorExposureRiskManagementModel,
    MaximumUnrealizedProfitPercentPerSecurity,
    NullRiskManagementModel,
    RiskManagementModel,
)
from lean_local.framework.selection import (
    CoarseFundamentalUniverseSelectionModel,
    CompositeUniverseSelectionModel,
    CustomUniverseSelectionModel,
    ETFConstituentsUniverseSelectionModel,
    FineFundamentalUniverseSelectionModel,
    FundamentalUniverseSelectionModel,
    ManualUniverseSelectionModel,
    NullUniverseSelectionModel,
    ScheduledUniverseSelectionModel,
    UniverseSelectionModel,
)
from lean_local.framework.targets import PortfolioTarget, PortfolioTargetCollection

__all__ = [
    "AlphaModel", "BasePairsTradingAlphaModel", "HistoricalReturnsAlphaModel", "PearsonCorrelationPairsTradingAlphaModel", "CoarseFundamentalUniverseSelectionModel", "CompositeAlphaModel", "CompositeRiskManagementModel",
    "CompositeUniverseSelectionModel", "ConfidenceWeightedPortfolioConstructionModel", "ConstantAlphaModel",
    "CustomUniverseSelectionModel", "ETFConstituentsUniverseSelectionModel", "EqualWeightingPortfolioConstructionModel",
    "FineFundamentalUniverseSelectionModel", "ExecutionModel",
    "FundamentalUniverseSelectionModel", "GeneratedInsightsCollection", "ImmediateExecutionModel", "Insight",
    "InsightCollection", "InsightDirection", "InsightManager", "InsightScore", "InsightScoreType", "InsightType",
    "InsightWeightingPortfolioConstructionModel", "ManualUniverseSelectionModel",
    "MaximumSharpeRatioPortfolioOptimizer", "MeanReversionPortfolioConstructionModel",
    "MeanVarianceOptimizationPortfolioConstructionModel", "MinimumVariancePortfolioOptimizer",
    "ReturnsSymbolData", "RiskParityPortfolioConstructionModel", "RiskParityPortfolioOptimizer",
    "UnconstrainedMeanVariancePortfolioOptimizer",
    "MaximumDrawdownPercentPerSecurity", "MaximumDrawdownPercentPortfolio", "MaximumSectorExposureRiskManagementModel",
    "MaximumUnrealizedProfitPercentPerSecurity", "NullAlphaModel", "NullExecutionModel",
    "NullPortfolioConstructionModel", "NullRiskManagementModel", "NullUniverseSelectionModel", "PortfolioBias",
    "PortfolioConstructionModel", "PortfolioTarget", "PortfolioTargetCollection", "RiskManagementModel",
    "ScheduledUniverseSelectionModel", "SectorWeightingPortfolioConstructionModel", "UniverseSelectionModel",
]
