#!/usr/bin/env python
# coding: utf-8

# # Store-sales forecasting with a stacked LSTM
# Sliding windows of 56 days -> next day; 28-day horizon produced recursively.

# In[1]:


import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

LOOKBACK, HORIZON = 56, 28
torch.manual_seed(0)


# In[2]:


sales = pd.read_csv("../input/store-sales/train.csv", parse_dates=["date"])
series = sales.groupby("date")["sales"].sum().values.astype(np.float32)
mu, sigma = series[:-HORIZON].mean(), series[:-HORIZON].std()
series = (series - mu) / sigma


def make_windows(arr, lookback=LOOKBACK):
    xs = np.stack([arr[i:i + lookback] for i in range(len(arr) - lookback)])
    ys = arr[lookback:]
    return torch.from_numpy(xs).unsqueeze(-1), torch.from_numpy(ys).unsqueeze(-1)


# In[3]:


class LSTMForecaster(nn.Module):
    def __init__(self, hidden=128, layers=2, p=0.25):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, num_layers=layers, dropout=p, batch_first=True)
        self.drop = nn.Dropout(p)
        self.out = nn.Linear(hidden, 1)

    def forward(self, x):
        h, _ = self.lstm(x)
        return self.out(self.drop(h[:, -1]))


@torch.no_grad()
def predict_recursive(model, window, steps):
    hist = torch.as_tensor(window, dtype=torch.float32).view(1, -1, 1)
    preds = []
    for _ in range(steps):
        y_hat = model(hist)
        preds.append(y_hat.item())
        hist = torch.cat([hist[:, 1:], y_hat.view(1, 1, 1)], dim=1)
    return np.array(preds)


# In[4]:


train_part, holdout = series[:-HORIZON], series[-HORIZON:]
X, y = make_windows(train_part)
n_val = 90
train_dl = DataLoader(TensorDataset(X[:-n_val], y[:-n_val]), batch_size=64, shuffle=True)
val_dl = DataLoader(TensorDataset(X[-n_val:], y[-n_val:]), batch_size=256)
model = LSTMForecaster()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.MSELoss()


# In[5]:


for epoch in range(30):
    model.train()
    for xb, yb in train_dl:
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        val_mse = np.mean([loss_fn(model(xb), yb).item() for xb, yb in val_dl])
    print(epoch, round(float(val_mse), 5))


# In[6]:


model.eval()
hold_pred = predict_recursive(model, train_part[-LOOKBACK:], HORIZON)
print("holdout RMSE:", np.sqrt(np.mean((hold_pred - holdout) ** 2)) * sigma)


# In[7]:


# refit a few epochs on everything (train + val + holdout) before the final forecast
X_all, y_all = make_windows(series)
full_dl = DataLoader(TensorDataset(X_all, y_all), batch_size=64, shuffle=True)
for epoch in range(5):
    model.train()
    for xb, yb in full_dl:
        opt.zero_grad()
        loss_fn(model(xb), yb).backward()
        opt.step()


# In[8]:


future = predict_recursive(model, series[-LOOKBACK:], HORIZON) * sigma + mu
pd.DataFrame({"day": np.arange(1, HORIZON + 1), "sales": future}).to_csv("forecast.csv", index=False)
