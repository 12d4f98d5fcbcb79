"""Customer churn with a PyTorch MLP wrapped by skorch: early stopping on the internal
validation split, best checkpoint reloaded, permutation importance and a submission file."""
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from skorch import NeuralNetBinaryClassifier
from skorch.callbacks import Checkpoint, EarlyStopping, EpochScoring, LRScheduler
from skorch.dataset import ValidSplit


class ChurnNet(nn.Module):
    def __init__(self, d_in, hidden=128, p=0.3):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.bn1 = nn.BatchNorm1d(hidden)
        self.fc2 = nn.Linear(hidden, hidden // 2)
        self.out = nn.Linear(hidden // 2, 1)
        self.p = p

    def forward(self, x):
        h = F.relu(self.bn1(self.fc1(x)))
        h = F.dropout(h, self.p, training=self.training)
        h = F.dropout(F.relu(self.fc2(h)), self.p, training=self.training)
        return self.out(h).squeeze(-1)


def encode(train_df, other_dfs, cat_cols, num_cols):
    ohe = OneHotEncoder(handle_unknown="ignore", sparse_output=False).fit(train_df[cat_cols])
    sc = StandardScaler().fit(train_df[num_cols])
    def tf(df):
        return np.hstack([sc.transform(df[num_cols]), ohe.transform(df[cat_cols])]).astype(np.float32)
    return tf(train_df), [tf(d) for d in other_dfs]


def permutation_importance(net, X, y, names, seed=0):
    rng = np.random.default_rng(seed)
    base = roc_auc_score(y, net.predict_proba(X)[:, 1])
    drops = {}
    for j, name in enumerate(names):
        Xp = X.copy()
        Xp[:, j] = rng.permutation(Xp[:, j])
        drops[name] = base - roc_auc_score(y, net.predict_proba(Xp)[:, 1])
    return pd.Series(drops).sort_values(ascending=False)


def main():
    train = pd.read_csv("churn_train.csv")
    test = pd.read_csv("churn_test.csv")
    cat_cols = ["Geography", "Gender", "NumOfProducts"]
    num_cols = ["CreditScore", "Age", "Tenure", "Balance", "EstimatedSalary", "IsActiveMember"]
    tr_df, ho_df = train_test_split(train, test_size=0.15, stratify=train["Exited"], random_state=0)
    X_tr, (X_ho, X_te) = encode(tr_df, [ho_df, test], cat_cols, num_cols)
    y_tr, y_ho = tr_df["Exited"].values.astype(np.float32), ho_df["Exited"].values

    ckpt = Checkpoint(monitor="valid_loss_best", dirname="churn_ckpt")
    net = NeuralNetBinaryClassifier(
        ChurnNet, module__d_in=X_tr.shape[1], max_epochs=100, lr=2e-3, batch_size=512,
        optimizer=torch.optim.AdamW, optimizer__weight_decay=1e-4, iterator_train__shuffle=True,
        train_split=ValidSplit(5, stratified=True),
        callbacks=[
            EpochScoring("roc_auc", lower_is_better=False),
            EarlyStopping(monitor="valid_loss", patience=10),
            ckpt,
            LRScheduler(policy=torch.optim.lr_scheduler.CosineAnnealingLR, T_max=100),
        ],
    )
    net.fit(X_tr, y_tr)
    net.load_params(checkpoint=ckpt)
    print("holdout AUC:", roc_auc_score(y_ho, net.predict_proba(X_ho)[:, 1]))
    print(permutation_importance(net, X_ho, y_ho, num_cols).head(10))
    pd.DataFrame({"id": test["id"], "Exited": net.predict_proba(X_te)[:, 1]}).to_csv("submission.csv", index=False)


if __name__ == "__main__":
    main()
