#!/usr/bin/env python
# coding: utf-8

# # Entity-embedding MLP for the tabular playground (binary target)
# Exported from the Kaggle notebook; runs top to bottom.

# In[1]:


import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

get_ipython().run_line_magic('matplotlib', 'inline')
torch.manual_seed(42)
DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


# In[2]:


train = pd.read_csv("../input/tabular-playground/train.csv")
test = pd.read_csv("../input/tabular-playground/test.csv")
CAT_COLS = [c for c in train.columns if c.startswith("cat")]
NUM_COLS = [c for c in train.columns if c.startswith("cont")]
for c in CAT_COLS:
    codes = {v: i for i, v in enumerate(pd.concat([train[c], test[c]]).unique())}
    train[c] = train[c].map(codes)
    test[c] = test[c].map(codes)
cardinalities = [int(max(train[c].max(), test[c].max())) + 1 for c in CAT_COLS]


# In[3]:


class EntityEmbeddingNet(nn.Module):
    def __init__(self, cards, n_num, emb_dim=8, hidden=256, p=0.3):
        super().__init__()
        self.embs = nn.ModuleList([nn.Embedding(n, min(emb_dim, (n + 1) // 2)) for n in cards])
        d_emb = sum(e.embedding_dim for e in self.embs)
        self.emb_drop = nn.Dropout(0.1)
        self.bn_num = nn.BatchNorm1d(n_num)
        self.mlp = nn.Sequential(
            nn.Linear(d_emb + n_num, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden, hidden // 2), nn.BatchNorm1d(hidden // 2), nn.ReLU(), nn.Dropout(p),
            nn.Linear(hidden // 2, 1),
        )

    def forward(self, x_cat, x_num):
        e = torch.cat([emb(x_cat[:, i]) for i, emb in enumerate(self.embs)], dim=1)
        h = torch.cat([self.emb_drop(e), self.bn_num(x_num)], dim=1)
        return self.mlp(h).squeeze(1)


# In[4]:


tr_df, va_df = train_test_split(train, test_size=0.2, random_state=42, stratify=train["target"])
Xc_tr = torch.tensor(tr_df[CAT_COLS].values, dtype=torch.long)
Xn_tr = torch.tensor(tr_df[NUM_COLS].values, dtype=torch.float32)
y_tr = torch.tensor(tr_df["target"].values, dtype=torch.float32)
Xc_va = torch.tensor(va_df[CAT_COLS].values, dtype=torch.long).to(DEVICE)
Xn_va = torch.tensor(va_df[NUM_COLS].values, dtype=torch.float32).to(DEVICE)
train_dl = torch.utils.data.DataLoader(
    torch.utils.data.TensorDataset(Xc_tr, Xn_tr, y_tr), batch_size=1024, shuffle=True)


# In[5]:


model = EntityEmbeddingNet(cardinalities, len(NUM_COLS)).to(DEVICE)
optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
criterion = nn.BCEWithLogitsLoss()
EPOCHS = 12


# In[6]:


for epoch in range(EPOCHS):
    running = 0.0
    for xc, xn, yb in train_dl:
        xc, xn, yb = xc.to(DEVICE), xn.to(DEVICE), yb.to(DEVICE)
        optimizer.zero_grad()
        loss = criterion(model(xc, xn), yb)
        loss.backward()
        optimizer.step()
        running += loss.item() * len(yb)
    with torch.no_grad():
        val_logits = model(Xc_va, Xn_va)
    auc = roc_auc_score(va_df["target"].values, val_logits.sigmoid().cpu().numpy())
    print(f"epoch {epoch}: train loss {running / len(tr_df):.4f}  val AUC {auc:.4f}")


# In[7]:


model.eval()
Xc_te = torch.tensor(test[CAT_COLS].values, dtype=torch.long).to(DEVICE)
Xn_te = torch.tensor(test[NUM_COLS].values, dtype=torch.float32).to(DEVICE)
with torch.no_grad:
    test_pred = model(Xc_te, Xn_te).sigmoid().cpu().numpy()


# In[8]:


pd.DataFrame({"id": test["id"], "target": test_pred}).to_csv("submission.csv", index=False)
