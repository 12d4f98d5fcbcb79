"""3D spleen segmentation (MSD Task09) with a MONAI UNet; validation and a final patch check
run inside MONAI's eval_mode context manager."""
import argparse
import glob
import os

import torch
from monai.data import CacheDataset, DataLoader, decollate_batch
from monai.inferers import sliding_window_inference
from monai.losses import DiceLoss
from monai.metrics import DiceMetric
from monai.networks.layers import Norm
from monai.networks.nets import UNet
from monai.networks.utils import eval_mode
from monai.transforms import (AsDiscrete, Compose, CropForegroundd, EnsureChannelFirstd, LoadImaged,
                              Orientationd, RandCropByPosNegLabeld, ScaleIntensityRanged, Spacingd)

ROI = (96, 96, 96)


def transforms(train):
    t = [LoadImaged(keys=["image", "label"]), EnsureChannelFirstd(keys=["image", "label"]),
         Orientationd(keys=["image", "label"], axcodes="RAS"),
         Spacingd(keys=["image", "label"], pixdim=(1.5, 1.5, 2.0), mode=("bilinear", "nearest")),
         ScaleIntensityRanged(keys=["image"], a_min=-57, a_max=164, b_min=0.0, b_max=1.0, clip=True),
         CropForegroundd(keys=["image", "label"], source_key="image")]
    if train:
        t.append(RandCropByPosNegLabeld(keys=["image", "label"], label_key="label", spatial_size=ROI, pos=1, neg=1,
                                        num_samples=4))
    return Compose(t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="Task09_Spleen")
    ap.add_argument("--epochs", type=int, default=300)
    args = ap.parse_args()
    device = torch.device("cuda")

    images = sorted(glob.glob(os.path.join(args.data, "imagesTr", "*.nii.gz")))
    labels = sorted(glob.glob(os.path.join(args.data, "labelsTr", "*.nii.gz")))
    files = [{"image": i, "label": l} for i, l in zip(images, labels)]
    train_ds = CacheDataset(files[:-9], transforms(train=True), cache_rate=1.0, num_workers=4)
    val_ds = CacheDataset(files[-9:], transforms(train=False), cache_rate=1.0, num_workers=4)
    train_loader = DataLoader(train_ds, batch_size=2, shuffle=True, num_workers=4)
    val_loader = DataLoader(val_ds, batch_size=1, num_workers=4)

    model = UNet(spatial_dims=3, in_channels=1, out_channels=2, channels=(16, 32, 64, 128, 256),
                 strides=(2, 2, 2, 2), num_res_units=2, norm=Norm.BATCH, dropout=0.1).to(device)
    loss_fn = DiceLoss(to_onehot_y=True, softmax=True)
    optimizer = torch.optim.Adam(model.parameters(), 1e-4)
    dice = DiceMetric(include_background=False, reduction="mean")
    post_pred, post_label = AsDiscrete(argmax=True, to_onehot=2), AsDiscrete(to_onehot=2)
    best = -1.0

    for epoch in range(args.epochs):
        model.train()
        for batch in train_loader:
            inputs, targets = batch["image"].to(device), batch["label"].to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
        if (epoch + 1) % 2 == 0:
            with eval_mode(model):
                for val in val_loader:
                    val_inputs, val_labels = val["image"].to(device), val["label"].to(device)
                    val_outputs = sliding_window_inference(val_inputs, ROI, 4, model)
                    dice(y_pred=[post_pred(o) for o in decollate_batch(val_outputs)],
                         y=[post_label(l) for l in decollate_batch(val_labels)])
            metric = dice.aggregate().item()
            dice.reset()
            print(f"epoch {epoch + 1}: loss {loss.item():.4f} val dice {metric:.4f}")
            if metric > best:
                best = metric
                torch.save(model.state_dict(), "best_spleen_unet.pth")

    model.load_state_dict(torch.load("best_spleen_unet.pth"))
    probe = next(iter(val_loader))["image"][..., :ROI[0], :ROI[1], :ROI[2]].to(device)
    with eval_mode(model):
        fg = model(probe).argmax(1).float().mean().item()
    print(f"best dice {best:.4f}; foreground fraction on a probe patch {fg:.4f}")


if __name__ == "__main__":
    main()
