#!/usr/bin/env python
# coding: utf-8

# # Pump sensor anomaly detection with an LSTM autoencoder
# Windows of 60 readings; anomaly if reconstruction error > mean + 3 std of normal data.

# In[1]:


get_ipython().system('ls ../input/pump-sensor-data')
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.preprocessing import MinMaxScaler

WIN = 60


# In[2]:


train = pd.read_csv("../input/pump-sensor-data/sensor.csv", parse_dates=["timestamp"])
train = train.eval("sensor_mean = (sensor_00 + sensor_01 + sensor_02) / 3")
sensors = [c for c in train.columns if c.startswith("sensor")]
normal = train.query("machine_status == 'NORMAL'")
test = train.eval("is_anomaly = machine_status != 'NORMAL'")
scaler = MinMaxScaler().fit(normal[sensors].fillna(0))


def to_windows(df):
    arr = scaler.transform(df[sensors].fillna(0)).astype(np.float32)
    return torch.from_numpy(np.stack([arr[i:i + WIN] for i in range(0, len(arr) - WIN, WIN // 2)]))


X_norm = to_windows(normal)
n_val = len(X_norm) // 10
X_tr, X_va = X_norm[n_val:], X_norm[:n_val]


# In[3]:


class LSTMAutoencoder(nn.Module):
    def __init__(self, n_feat, hidden=64, p=0.2):
        super().__init__()
        self.enc = nn.LSTM(n_feat, hidden, num_layers=2, dropout=p, batch_first=True)
        self.dec = nn.LSTM(hidden, hidden, num_layers=2, dropout=p, batch_first=True)
        self.out = nn.Linear(hidden, n_feat)

    def forward(self, x):
        _, (h, _) = self.enc(x)
        z = h[-1].unsqueeze(1).repeat(1, x.shape[1], 1)
        d, _ = self.dec(z)
        return self.out(d)


ae = LSTMAutoencoder(len(sensors))
opt = torch.optim.Adam(ae.parameters(), lr=1e-3)
mse = nn.MSELoss()


# In[4]:


for epoch in range(20):
    ae.train()
    for xb in torch.split(X_tr[torch.randperm(len(X_tr))], 128):
        loss = mse(ae(xb), xb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    ae.eval()
    with torch.inference_mode():
        val_loss = mse(ae(X_va), X_va).item()
    print(f"epoch {epoch}: val recon {val_loss:.5f}")


# In[5]:


ae.eval()
with torch.no_grad():
    err_norm = ((ae(X_norm) - X_norm) ** 2).mean(dim=(1, 2)).numpy()
threshold = err_norm.mean() + 3 * err_norm.std()
print("threshold:", threshold)


# In[6]:


# a few more epochs on the most recent normal month, then score everything
recent = to_windows(normal[normal["timestamp"] >= normal["timestamp"].max() - pd.Timedelta(days=30)])
ae.train()
for epoch in range(3):
    for xb in torch.split(recent[torch.randperm(len(recent))], 128):
        loss = mse(ae(xb), xb)
        opt.zero_grad()
        loss.backward()
        opt.step()


# In[7]:


ae.eval()
X_all = to_windows(test)
with torch.no_grad():
    err_all = ((ae(X_all) - X_all) ** 2).mean(dim=(1, 2)).numpy()
flags = err_all > threshold
print(f"{flags.sum()} of {len(flags)} windows flagged as anomalous")
