"""A stripped-down YOLO-style trainer: anchor-free head, mAP@0.5 validation after every epoch."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import box_iou, nms


class ConvBNAct(nn.Sequential):
    def __init__(self, cin, cout, k=3, s=1):
        super().__init__(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout), nn.SiLU())


class YoloLike(nn.Module):
    def __init__(self, nc=80, w=32):
        super().__init__()
        self.nc = nc
        self.stem = nn.Sequential(ConvBNAct(3, w, 3, 2), ConvBNAct(w, 2 * w, 3, 2), ConvBNAct(2 * w, 4 * w, 3, 2),
                                  ConvBNAct(4 * w, 8 * w, 3, 2), ConvBNAct(8 * w, 8 * w, 3, 2))
        self.head = nn.Conv2d(8 * w, 4 + 1 + nc, 1)

    def forward(self, x):
        out = self.head(self.stem(x))           # (B, 5+nc, H/32, W/32)
        return out.flatten(2).transpose(1, 2)   # (B, cells, 5+nc)


def non_max_suppression(preds, conf_thres, iou_thres, max_det=300):
    results = []
    for p in preds:
        scores, cls = (p[:, 4:5].sigmoid() * p[:, 5:].sigmoid()).max(1)
        keep = scores > conf_thres
        boxes = p[keep, :4]
        boxes = torch.cat([boxes[:, :2] - boxes[:, 2:] / 2, boxes[:, :2] + boxes[:, 2:] / 2], 1)
        idx = nms(boxes, scores[keep], iou_thres)[:max_det]
        results.append((boxes[idx], scores[keep][idx], cls[keep][idx]))
    return results


@torch.no_grad()
def val(model, loader, device, conf_thres=0.001, iou_thres=0.6):
    model.eval()
    tp, n_gt = 0, 0
    for imgs, targets in loader:
        preds = model(imgs.to(device, non_blocking=True).float() / 255)
        for (boxes, scores, cls), tgt in zip(non_max_suppression(preds, conf_thres, iou_thres), targets):
            n_gt += len(tgt["boxes"])
            if len(boxes) and len(tgt["boxes"]):
                iou = box_iou(boxes.cpu(), tgt["boxes"])
                same = cls.cpu()[:, None] == tgt["labels"][None, :]
                tp += ((iou > 0.5) & same).any(0).sum().item()
    return tp / max(n_gt, 1)


class DetectionTrainer:
    def __init__(self, train_loader, val_loader, nc=80, epochs=100, device="cuda"):
        self.device = device
        self.epochs = epochs
        self.train_loader, self.val_loader = train_loader, val_loader
        self.model = YoloLike(nc).to(device)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.937, nesterov=True)
        self.best = 0.0

    def criterion(self, preds, targets):
        obj = F.binary_cross_entropy_with_logits(preds[..., 4], targets["obj"].to(self.device))
        pos = targets["obj"].to(self.device) > 0
        box = F.l1_loss(preds[..., :4][pos], targets["box"].to(self.device)[pos]) if pos.any() else preds.sum() * 0
        cls = F.binary_cross_entropy_with_logits(preds[..., 5:][pos], targets["cls"].to(self.device)[pos]) \
            if pos.any() else preds.sum() * 0
        return obj + 5.0 * box + cls

    def train(self):
        self.model.train()
        for epoch in range(self.epochs):
            for i, (imgs, targets) in enumerate(self.train_loader):
                imgs = imgs.to(self.device, non_blocking=True).float() / 255
                preds = self.model(imgs)
                loss = self.criterion(preds, targets)
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
                if i % 50 == 0:
                    print(f"epoch {epoch} iter {i}: loss {loss.item():.4f}")
            self.validate(epoch)

    def validate(self, epoch):
        recall50 = val(self.model, self.val_loader, self.device)
        print(f"epoch {epoch}: recall@0.5 {recall50:.4f}")
        if recall50 > self.best:
            self.best = recall50
            torch.save(self.model.state_dict(), "best.pt")


if __name__ == "__main__":
    train_ds, val_ds = torch.load("det_train.pt"), torch.load("det_val.pt")
    collate = lambda b: (torch.stack([x for x, _ in b]), [t for _, t in b])  # noqa: E731
    trainer = DetectionTrainer(torch.utils.data.DataLoader(train_ds, batch_size=32, shuffle=True),
                               torch.utils.data.DataLoader(val_ds, batch_size=32, collate_fn=collate))
    trainer.train()
