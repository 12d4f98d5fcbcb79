"""LightningModule for binary road segmentation with a small U-Net.

Validation, test and prediction steps run the model directly: the Trainer puts the
module in eval mode and disables gradients around them.
"""
import lightning.pytorch as pl
import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNetSmall(nn.Module):
    def __init__(self, ch=(32, 64, 128), p=0.2):
        super().__init__()
        self.enc1, self.enc2, self.mid = block(3, ch[0]), block(ch[0], ch[1]), block(ch[1], ch[2])
        self.up2, self.dec2 = nn.ConvTranspose2d(ch[2], ch[1], 2, 2), block(ch[2], ch[1])
        self.up1, self.dec1 = nn.ConvTranspose2d(ch[1], ch[0], 2, 2), block(ch[1], ch[0])
        self.head = nn.Conv2d(ch[0], 1, 1)
        self.p = p

    def forward(self, x):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        m = F.dropout2d(self.mid(F.max_pool2d(e2, 2)), self.p, training=self.training)
        d2 = self.dec2(torch.cat([self.up2(m), e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return self.head(d1)


class LitRoads(pl.LightningModule):
    def __init__(self, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.net = UNetSmall()

    def forward(self, x):
        return self.net(x)

    def _dice(self, logits, mask):
        prob = logits.sigmoid()
        inter = (prob * mask).sum((1, 2, 3))
        return (2 * inter + 1) / (prob.sum((1, 2, 3)) + mask.sum((1, 2, 3)) + 1)

    def training_step(self, batch, batch_idx):
        img, mask = batch
        logits = self(img)
        loss = F.binary_cross_entropy_with_logits(logits, mask) + (1 - self._dice(logits, mask)).mean()
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        img, mask = batch
        logits = self(img)
        self.log("val/loss", F.binary_cross_entropy_with_logits(logits, mask), sync_dist=True)
        self.log("val/dice", self._dice(logits, mask).mean(), prog_bar=True, sync_dist=True)

    def test_step(self, batch, batch_idx):
        img, mask = batch
        hard = (self.net(img) > 0).float()
        self.log("test/dice", self._dice(hard * 20 - 10, mask).mean())

    def predict_step(self, batch, batch_idx, dataloader_idx=0):
        img = batch[0] if isinstance(batch, (list, tuple)) else batch
        flipped = self(img.flip(-1)).flip(-1)
        return ((self(img) + flipped) / 2).sigmoid()

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=self.hparams.lr, weight_decay=1e-4)
        return {"optimizer": opt, "lr_scheduler": torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=50)}


def run(datamodule, ckpt_out="roads.ckpt"):
    model = LitRoads()
    trainer = pl.Trainer(max_epochs=50, precision="16-mixed", log_every_n_steps=20)
    trainer.fit(model, datamodule=datamodule)
    trainer.validate(model, datamodule=datamodule)
    trainer.test(model, datamodule=datamodule)
    masks = trainer.predict(model, datamodule=datamodule)
    trainer.save_checkpoint(ckpt_out)

    restored = LitRoads.load_from_checkpoint(ckpt_out).eval()
    with torch.inference_mode():
        tile = torch.rand(1, 3, 256, 256)
        single = restored(tile).sigmoid()
    return masks, single
