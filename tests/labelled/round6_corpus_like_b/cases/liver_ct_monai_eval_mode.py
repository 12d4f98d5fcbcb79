"""Liver segmentation on CT volumes with a MONAI U-Net; validation uses eval_mode() and
sliding-window inference."""
import torch
from monai.data import DataLoader, Dataset, decollate_batch
from monai.inferers import sliding_window_inference
from monai.losses import DiceCELoss
from monai.metrics import DiceMetric
from monai.networks.layers import Norm
from monai.networks.nets import UNet
from monai.networks.utils import eval_mode
from monai.transforms import AsDiscrete

from liver_transforms import train_transforms, val_transforms, load_datalist

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
train_files, val_files = load_datalist("liver_ct/dataset.json")
train_loader = DataLoader(Dataset(train_files, train_transforms), batch_size=2, shuffle=True, num_workers=4)
val_loader = DataLoader(Dataset(val_files, val_transforms), batch_size=1, num_workers=4)

model = UNet(spatial_dims=3, in_channels=1, out_channels=2, channels=(16, 32, 64, 128, 256),
             strides=(2, 2, 2, 2), num_res_units=2, norm=Norm.BATCH, dropout=0.1).to(device)
loss_fn = DiceCELoss(to_onehot_y=True, softmax=True)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=1e-5)
dice = DiceMetric(include_background=False, reduction="mean")
post_pred, post_label = AsDiscrete(argmax=True, to_onehot=2), AsDiscrete(to_onehot=2)

best = 0.0
model.train()
for epoch in range(300):
    for batch in train_loader:
        images, labels = batch["image"].to(device), batch["label"].to(device)
        loss = loss_fn(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    if (epoch + 1) % 5 == 0:
        with eval_mode(model):
            for batch in val_loader:
                images, labels = batch["image"].to(device), batch["label"].to(device)
                outputs = sliding_window_inference(images, (96, 96, 96), 4, model, overlap=0.25)
                dice(y_pred=[post_pred(o) for o in decollate_batch(outputs)],
                     y=[post_label(t) for t in decollate_batch(labels)])
            preview = model(images[..., :96, :96, :96]).argmax(1)
        score = dice.aggregate().item()
        dice.reset()
        if score > best:
            best = score
            torch.save(model.state_dict(), "best_liver_unet.pt")
        print(f"epoch {epoch + 1}: loss {loss.item():.4f} val dice {score:.4f} "
              f"preview foreground voxels {int(preview.sum())}")
