"""A scikit-learn style estimator around a PyTorch MLP (fit / partial_fit / predict_proba / score).

Training methods put the module in training mode, inference methods put it in eval mode
and disable autograd; nothing relies on the mode the other left behind.
"""
import numpy as np
import torch
import torch.nn as nn
from sklearn.base import BaseEstimator, ClassifierMixin


class MLPModule(nn.Module):
    def __init__(self, d_in, n_classes, hidden=(256, 128), p=0.2):
        super().__init__()
        layers, d = [], d_in
        for h in hidden:
            layers += [nn.Linear(d, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Dropout(p)]
            d = h
        self.net = nn.Sequential(*layers, nn.Linear(d, n_classes))

    def forward(self, x):
        return self.net(x)


class TorchMLPClassifier(BaseEstimator, ClassifierMixin):
    def __init__(self, hidden=(256, 128), lr=1e-3, epochs=50, batch_size=128, patience=5, random_state=0):
        self.hidden, self.lr, self.epochs = hidden, lr, epochs
        self.batch_size, self.patience, self.random_state = batch_size, patience, random_state

    def _tensor(self, X):
        return torch.as_tensor(np.asarray(X, dtype=np.float32))

    def _run_epoch(self, X, y):
        self.module_.train()
        perm = torch.randperm(len(X))
        for i in range(0, len(X), self.batch_size):
            idx = perm[i:i + self.batch_size]
            if len(idx) < 2:
                continue
            loss = nn.functional.cross_entropy(self.module_(X[idx]), y[idx])
            self.optimizer_.zero_grad()
            loss.backward()
            self.optimizer_.step()

    def fit(self, X, y, X_val=None, y_val=None):
        torch.manual_seed(self.random_state)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        X_t, y_t = self._tensor(X), torch.as_tensor(y_idx)
        self.module_ = MLPModule(X_t.shape[1], len(self.classes_), self.hidden)
        self.optimizer_ = torch.optim.AdamW(self.module_.parameters(), lr=self.lr)
        best, bad = -np.inf, 0
        for _ in range(self.epochs):
            self._run_epoch(X_t, y_t)
            if X_val is not None:
                val_score = self.score(X_val, y_val)
                best, bad = (val_score, 0) if val_score > best else (best, bad + 1)
                if bad >= self.patience:
                    break
        return self

    def partial_fit(self, X, y):
        y_idx = np.searchsorted(self.classes_, y)
        self._run_epoch(self._tensor(X), torch.as_tensor(y_idx))
        return self

    def predict_proba(self, X):
        self.module_.eval()
        with torch.inference_mode():
            probs = self.module_(self._tensor(X)).softmax(-1)
        return probs.numpy()

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(1)]

    def score(self, X, y):
        return float((self.predict(X) == np.asarray(y)).mean())
