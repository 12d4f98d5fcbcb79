#!/usr/bin/env python
# coding: utf-8

# # Predict future sales - GRU on monthly shop/item sequences
# (kernel written for PyTorch 0.3, still running on the current image)

# In[1]:


import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from torch.autograd import Variable


# In[2]:


sales = pd.read_csv("../input/sales_train.csv")
monthly = sales.pivot_table(index=["shop_id", "item_id"], columns="date_block_num",
                            values="item_cnt_day", aggfunc="sum").fillna(0).clip(0, 20)
seq = monthly.values.astype(np.float32)
X_train, y_train = seq[:, :-2, None], seq[:, -2]
X_valid, y_valid = seq[:, 1:-1, None], seq[:, -1]
X_test = seq[:, 2:, None]


# In[3]:


class SalesGRU(nn.Module):
    def __init__(self, hidden=64):
        super(SalesGRU, self).__init__()
        self.gru = nn.GRU(1, hidden, num_layers=2, dropout=0.3, batch_first=True)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.fc(out[:, -1]).squeeze(1)


model = SalesGRU()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
criterion = nn.MSELoss()
BATCH = 4096


# In[4]:


for epoch in range(15):
    model.train()
    perm = np.random.permutation(len(X_train))
    for s in range(0, len(perm), BATCH):
        idx = perm[s:s + BATCH]
        xb = Variable(torch.from_numpy(X_train[idx]))
        yb = Variable(torch.from_numpy(y_train[idx]))
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
    model.eval()
    xv = Variable(torch.from_numpy(X_valid), volatile=True)
    val_pred = model(xv)
    rmse = np.sqrt(((val_pred.data.numpy().clip(0, 20) - y_valid) ** 2).mean())
    print("epoch %d  valid RMSE %.4f" % (epoch, rmse))


# In[5]:


model.eval()
xt = Variable(torch.from_numpy(X_test), volatile=True)
test_pred = model(xt).data.numpy().clip(0, 20)
test_ids = pd.read_csv("../input/test.csv")
keys = pd.DataFrame({"shop_id": monthly.index.get_level_values(0),
                     "item_id": monthly.index.get_level_values(1), "item_cnt_month": test_pred})
sub = test_ids.merge(keys, on=["shop_id", "item_id"], how="left").fillna(0)
sub[["ID", "item_cnt_month"]].to_csv("submission.csv", index=False)
