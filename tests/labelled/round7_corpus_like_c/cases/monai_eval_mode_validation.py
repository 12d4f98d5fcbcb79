"""3-D spleen segmentation with a MONAI UNet; validation runs inside monai's eval_mode context."""
import torch
from monai.losses import DiceCELoss
from monai.metrics import DiceMetric
from monai.networks.nets import UNet
from monai.networks.utils import eval_mode, one_hot

VAL_INTERVAL = 2


def build_unet():
    return UNet(spatial_dims=3, in_channels=1, out_channels=2, channels=(16, 32, 64, 128, 256),
                strides=(2, 2, 2, 2), num_res_units=2, norm="batch", dropout=0.1)


def fit(model, train_loader, val_loader, epochs, device):
    loss_fn = DiceCELoss(to_onehot_y=True, softmax=True)
    optimizer = torch.optim.Adam(model.parameters(), 1e-4)
    dice = DiceMetric(include_background=False, reduction="mean")
    best = -1.0
    model.train()
    for epoch in range(epochs):
        for batch in train_loader:
            img, seg = batch["image"].to(device), batch["label"].to(device)
            loss = loss_fn(model(img), seg)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if (epoch + 1) % VAL_INTERVAL == 0:
            with eval_mode(model):
                for batch in val_loader:
                    img, seg = batch["image"].to(device), batch["label"].to(device)
                    pred = model(img).argmax(1, keepdim=True)
                    dice(y_pred=one_hot(pred, 2), y=one_hot(seg, 2))
            score = dice.aggregate().item()
            dice.reset()
            if score > best:
                best = score
                torch.save(model.state_dict(), "spleen_unet_best.pt")
            print(f"epoch {epoch + 1}: loss {loss.item():.4f} val dice {score:.4f}")
    return best


def segment(model, volume, device):
    with eval_mode(model):
        return model(volume.unsqueeze(0).to(device)).argmax(1)[0].cpu()
