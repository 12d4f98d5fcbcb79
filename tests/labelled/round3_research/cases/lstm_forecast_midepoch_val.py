"""LSTM forecaster for the electricity dataset; validates every --val-every optimizer steps."""
import argparse
import math

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

parser = argparse.ArgumentParser()
parser.add_argument('--data', default='data/electricity.npz')
parser.add_argument('--epochs', type=int, default=30)
parser.add_argument('--hidden', type=int, default=128)
parser.add_argument('--dropout', type=float, default=0.3)
parser.add_argument('--val-every', type=int, default=200)
parser.add_argument('--lr', type=float, default=1e-3)
args = parser.parse_args()
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

arrays = np.load(args.data)
train_ds = TensorDataset(torch.from_numpy(arrays['x_train']).float(), torch.from_numpy(arrays['y_train']).float())
val_ds = TensorDataset(torch.from_numpy(arrays['x_val']).float(), torch.from_numpy(arrays['y_val']).float())
train_loader = DataLoader(train_ds, batch_size=64, shuffle=True, drop_last=True)
val_loader = DataLoader(val_ds, batch_size=256)


class Forecaster(nn.Module):
    def __init__(self, n_features, hidden, horizon=24, dropout=0.3):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden, num_layers=2, dropout=dropout, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, horizon)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(self.drop(out[:, -1]))


model = Forecaster(train_ds.tensors[0].shape[-1], args.hidden, dropout=args.dropout).to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=3)
criterion = nn.MSELoss()
global_step = 0
best_rmse = math.inf


def validate():
    total, n = 0.0, 0
    with torch.no_grad():
        for x, y in val_loader:
            pred = model(x.to(device))
            total += criterion(pred, y.to(device)).item() * len(y)
            n += len(y)
    return math.sqrt(total / n)


def train(epoch):
    global global_step, best_rmse
    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(x.to(device)), y.to(device))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        global_step += 1
        if global_step % args.val_every == 0:
            rmse = validate()
            scheduler.step(rmse)
            if rmse < best_rmse:
                best_rmse = rmse
                torch.save(model.state_dict(), 'best_forecaster.pt')
            print(f'epoch {epoch} step {global_step} train mse {loss.item():.4f} val rmse {rmse:.4f}')


for epoch in range(1, args.epochs + 1):
    train(epoch)
print(f'best val rmse {best_rmse:.4f}')
