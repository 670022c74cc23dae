"""Emotion MLP and temporal stress models (LSTM, TCN); each built from a JSON-able config."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from ml.features import EMOTIONS, FEATURE_DIM


@dataclass
class EmotionMLPConfig:
    input_dim: int = FEATURE_DIM
    hidden: tuple[int, ...] = (512, 256, 128)
    num_classes: int = len(EMOTIONS)
    dropout: float = 0.3


class EmotionMLP(nn.Module):
    def __init__(self, config: EmotionMLPConfig):
        super().__init__()
        layers: list[nn.Module] = []
        width = config.input_dim
        for h in config.hidden:
            layers += [nn.Linear(width, h), nn.ReLU(), nn.Dropout(config.dropout)]
            width = h
        layers.append(nn.Linear(width, config.num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@dataclass
class StressModelConfig:
    arch: str = "lstm"
    input_dim: int = FEATURE_DIM
    hidden: int = 256
    num_layers: int = 2
    dropout: float = 0.3
    kernel_size: int = 3
    tcn_channels: tuple[int, ...] = (128, 128, 128)


class StressLSTM(nn.Module):
    def __init__(self, config: StressModelConfig):
        super().__init__()
        self.lstm = nn.LSTM(
            config.input_dim,
            config.hidden,
            config.num_layers,
            batch_first=True,
            dropout=config.dropout if config.num_layers > 1 else 0.0,
        )
        self.head = nn.Linear(config.hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(x)
        return self.head(out[:, -1, :]).squeeze(-1)


class CausalConvBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, kernel_size: int, dilation: int, dropout: float):
        super().__init__()
        self.pad = (kernel_size - 1) * dilation
        self.conv1 = nn.Conv1d(c_in, c_out, kernel_size, dilation=dilation)
        self.conv2 = nn.Conv1d(c_out, c_out, kernel_size, dilation=dilation)
        self.drop = nn.Dropout(dropout)
        self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.drop(torch.relu(self.conv1(nn.functional.pad(x, (self.pad, 0)))))
        h = self.drop(torch.relu(self.conv2(nn.functional.pad(h, (self.pad, 0)))))
        return torch.relu(h + self.skip(x))


class StressTCN(nn.Module):
    def __init__(self, config: StressModelConfig):
        super().__init__()
        blocks, c_in = [], config.input_dim
        for i, c in enumerate(config.tcn_channels):
            blocks.append(CausalConvBlock(c_in, c, config.kernel_size, 2**i, config.dropout))
            c_in = c
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(c_in, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.blocks(x.transpose(1, 2))
        return self.head(h[:, :, -1]).squeeze(-1)


def emotion_model_build(config: dict | EmotionMLPConfig) -> EmotionMLP:
    if isinstance(config, dict):
        config = EmotionMLPConfig(
            **{**config, "hidden": tuple(config.get("hidden", (512, 256, 128)))}
        )
    return EmotionMLP(config)


def stress_model_build(config: dict | StressModelConfig) -> nn.Module:
    if isinstance(config, dict):
        config = StressModelConfig(
            **{**config, "tcn_channels": tuple(config.get("tcn_channels", (128, 128, 128)))}
        )
    if config.arch == "lstm":
        return StressLSTM(config)
    if config.arch == "tcn":
        return StressTCN(config)
    raise ValueError(f"unknown stress arch {config.arch!r} (use 'lstm' or 'tcn')")


def config_dict(config) -> dict:
    return asdict(config)
