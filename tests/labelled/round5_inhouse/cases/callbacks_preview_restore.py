"""Convolutional autoencoder trained by the house Trainer; behaviour is extended through callbacks."""
import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision.utils import save_image


class ConvAE(nn.Module):
    def __init__(self, ch=32):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, ch, 4, 2, 1), nn.BatchNorm2d(ch), nn.ReLU(),
                                 nn.Conv2d(ch, 2 * ch, 4, 2, 1), nn.BatchNorm2d(2 * ch), nn.ReLU())
        self.dec = nn.Sequential(nn.ConvTranspose2d(2 * ch, ch, 4, 2, 1), nn.BatchNorm2d(ch), nn.ReLU(),
                                 nn.ConvTranspose2d(ch, 1, 4, 2, 1), nn.Sigmoid())

    def forward(self, x):
        return self.dec(self.enc(x))


class Callback:
    def on_epoch_end(self, trainer):
        pass

    def on_train_end(self, trainer):
        pass


class PreviewCallback(Callback):
    """Saves reconstructions of a fixed batch; leaves the model in the mode it found it in."""

    def __init__(self, batch, every=5):
        self.batch, self.every = batch, every

    def on_epoch_end(self, trainer):
        if trainer.epoch % self.every:
            return
        model = trainer.model
        was_training = model.training
        model.eval()
        with torch.no_grad():
            recon = model(self.batch)
        model.train(was_training)
        save_image(torch.cat([self.batch, recon]), f"preview_{trainer.epoch:03d}.png", nrow=len(self.batch))


class BestWeights(Callback):
    def __init__(self):
        self.best, self.state = float("inf"), None

    def on_epoch_end(self, trainer):
        if trainer.val_loss < self.best:
            self.best, self.state = trainer.val_loss, copy.deepcopy(trainer.model.state_dict())

    def on_train_end(self, trainer):
        trainer.model.load_state_dict(self.state)


class Trainer:
    def __init__(self, model, callbacks=(), lr=1e-3):
        self.model = model
        self.callbacks = list(callbacks)
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.epoch, self.val_loss = 0, float("inf")

    @torch.no_grad()
    def validate(self, loader):
        self.model.eval()
        return sum(F.mse_loss(self.model(x), x, reduction="sum").item() for x, _ in loader) / len(loader.dataset)

    def fit(self, train_loader, val_loader, epochs):
        for self.epoch in range(epochs):
            self.model.train()
            for x, _ in train_loader:
                loss = F.mse_loss(self.model(x), x)
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
            self.val_loss = self.validate(val_loader)
            for cb in self.callbacks:
                cb.on_epoch_end(self)
        for cb in self.callbacks:
            cb.on_train_end(self)
        return self.model


if __name__ == "__main__":
    train_set, val_set = torch.load("mnist_train.pt"), torch.load("mnist_val.pt")
    val_loader = DataLoader(val_set, batch_size=512)
    fixed = next(iter(val_loader))[0][:8]
    trainer = Trainer(ConvAE(), callbacks=[PreviewCallback(fixed), BestWeights()])
    model = trainer.fit(DataLoader(train_set, batch_size=128, shuffle=True), val_loader, epochs=30)
    model.eval()
    with torch.inference_mode():
        codes = torch.cat([model.enc(x).flatten(1) for x, _ in val_loader])
    torch.save(codes, "val_codes.pt")
