"""A scikit-learn compatible MLP regressor, so the net can sit in a Pipeline and in
cross_val_score / GridSearchCV next to the gradient-boosting baselines."""
import numpy as np
import pandas as pd
import torch
import torch.nn as nn
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_array, check_is_fitted, check_X_y


class _MLP(nn.Module):
    def __init__(self, d_in, hidden, dropout):
        super().__init__()
        layers, d = [], d_in
        for h in hidden:
            layers += [nn.Linear(d, h), nn.ReLU(), nn.Dropout(dropout)]
            d = h
        layers.append(nn.Linear(d, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class TorchMLPRegressor(BaseEstimator, RegressorMixin):
    def __init__(self, hidden=(128, 64), dropout=0.1, lr=1e-3, epochs=100, batch_size=128, random_state=0):
        self.hidden = hidden
        self.dropout = dropout
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.random_state = random_state

    def fit(self, X, y):
        X, y = check_X_y(X, y, dtype=np.float32, y_numeric=True)
        torch.manual_seed(self.random_state)
        self.n_features_in_ = X.shape[1]
        self.model_ = _MLP(X.shape[1], self.hidden, self.dropout)
        opt = torch.optim.Adam(self.model_.parameters(), lr=self.lr)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.float32)).view(-1, 1)
        for _ in range(self.epochs):
            perm = torch.randperm(len(Xt))
            for s in range(0, len(Xt), self.batch_size):
                idx = perm[s:s + self.batch_size]
                loss = nn.functional.mse_loss(self.model_(Xt[idx]), yt[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        return self

    def predict(self, X):
        check_is_fitted(self, "model_")
        X = torch.from_numpy(check_array(X, dtype=np.float32))
        with torch.no_grad():
            return self.model_(X).squeeze(1).numpy()


if __name__ == "__main__":
    df = pd.read_csv("house_prices_numeric.csv")
    y = np.log1p(df.pop("SalePrice").values)
    X = df.fillna(df.median()).values
    cv = KFold(5, shuffle=True, random_state=42)
    pipe = make_pipeline(StandardScaler(), TorchMLPRegressor(epochs=60))
    scores = cross_val_score(pipe, X, y, cv=cv, scoring="neg_root_mean_squared_error")
    print("CV RMSE: %.4f +- %.4f" % (-scores.mean(), scores.std()))
    grid = GridSearchCV(pipe, {"torchmlpregressor__dropout": [0.0, 0.1, 0.3],
                               "torchmlpregressor__lr": [1e-3, 3e-4]}, cv=cv,
                        scoring="neg_root_mean_squared_error")
    grid.fit(X, y)
    print("best params:", grid.best_params_, "best RMSE:", -grid.best_score_)
