"""Day-ahead electricity load forecasting with an LSTM, trained with pytorch-ignite.

forecast() is used afterwards by the dispatch notebook.
"""
import numpy as np
import torch
import torch.nn as nn
from ignite.engine import Events, create_supervised_evaluator, create_supervised_trainer
from ignite.handlers import EarlyStopping
from ignite.metrics import MeanAbsoluteError
from torch.utils.data import DataLoader, TensorDataset

WINDOW, HORIZON = 168, 24


class LoadLSTM(nn.Module):
    def __init__(self, n_feats=6, hidden=128):
        super().__init__()
        self.lstm = nn.LSTM(n_feats, hidden, num_layers=2, dropout=0.2, batch_first=True)
        self.drop = nn.Dropout(0.2)
        self.out = nn.Linear(hidden, HORIZON)

    def forward(self, x):
        h, _ = self.lstm(x)
        return self.out(self.drop(h[:, -1]))


def windows(series, feats):
    xs = np.stack([feats[i:i + WINDOW] for i in range(len(series) - WINDOW - HORIZON)])
    ys = np.stack([series[i + WINDOW:i + WINDOW + HORIZON] for i in range(len(series) - WINDOW - HORIZON)])
    return TensorDataset(torch.from_numpy(xs).float(), torch.from_numpy(ys).float())


def build(train_ds, val_ds, device="cpu"):
    model = LoadLSTM().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    trainer = create_supervised_trainer(model, optimizer, nn.L1Loss(), device=device)
    evaluator = create_supervised_evaluator(model, metrics={"mae": MeanAbsoluteError()}, device=device)
    val_loader = DataLoader(val_ds, batch_size=512)

    @trainer.on(Events.EPOCH_COMPLETED)
    def log_validation(engine):
        evaluator.run(val_loader)
        print(f"epoch {engine.state.epoch}: val MAE {evaluator.state.metrics['mae']:.2f} MW")

    evaluator.add_event_handler(Events.COMPLETED, EarlyStopping(
        patience=5, score_function=lambda e: -e.state.metrics["mae"], trainer=trainer))
    trainer.run(DataLoader(train_ds, batch_size=128, shuffle=True), max_epochs=100)
    return model


@torch.no_grad()
def forecast(model, recent_feats):
    model.eval()
    x = torch.as_tensor(recent_feats[-WINDOW:], dtype=torch.float32).unsqueeze(0)
    return model(x)[0].numpy()


if __name__ == "__main__":
    data = np.load("grid_load_hourly.npz")
    load, feats = data["load"], data["features"]
    split = int(0.85 * len(load))
    model = build(windows(load[:split], feats[:split]), windows(load[split:], feats[split:]))
    torch.save(model.state_dict(), "load_lstm.pt")
    print("next 24h:", np.round(forecast(model, feats), 1))
