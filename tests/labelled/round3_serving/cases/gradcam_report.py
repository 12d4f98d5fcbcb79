"""Grad-CAM and vanilla-saliency explanations for the X-ray triage model, saved as PNG
overlays for the clinical review tool. Gradients are needed here, so the explanation
passes run with autograd on; the model is in eval mode and no weights are updated."""
import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms
from torchvision.models import densenet121


class GradCAM:
    def __init__(self, model, target_layer):
        self.model = model
        self.activations = None
        self.gradients = None
        target_layer.register_forward_hook(self._save_activation)
        target_layer.register_full_backward_hook(self._save_gradient)

    def _save_activation(self, module, inputs, output):
        self.activations = output.detach()

    def _save_gradient(self, module, grad_input, grad_output):
        self.gradients = grad_output[0].detach()

    def __call__(self, x, class_idx):
        logits = self.model(x)
        self.model.zero_grad(set_to_none=True)
        logits[0, class_idx].backward()
        weights = self.gradients.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((weights * self.activations).sum(dim=1, keepdim=True))
        cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[0, 0]
        return ((cam - cam.min()) / (cam.max() - cam.min() + 1e-8)).cpu().numpy()


def saliency(model, x, class_idx):
    x = x.clone().requires_grad_(True)
    model(x)[0, class_idx].backward()
    return x.grad.abs().amax(dim=1)[0].cpu().numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="triage_densenet121.pt")
    ap.add_argument("--images", default="review_queue")
    ap.add_argument("--out", default="explanations")
    ap.add_argument("--classes", default="normal,pneumonia,effusion,nodule")
    args = ap.parse_args()

    classes = args.classes.split(",")
    model = densenet121(num_classes=len(classes))
    model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()
    cam = GradCAM(model, model.features.denseblock4)

    tf = transforms.Compose([transforms.Resize((224, 224)), transforms.Grayscale(3), transforms.ToTensor(),
                             transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    Path(args.out).mkdir(exist_ok=True)
    for path in sorted(Path(args.images).glob("*.png")):
        img = Image.open(path)
        x = tf(img).unsqueeze(0)
        with torch.no_grad():
            probs = model(x).softmax(-1)[0]
        top = int(probs.argmax())
        heatmap = cam(x, top)
        sal = saliency(model, x, top)

        fig, axes = plt.subplots(1, 3, figsize=(12, 4))
        axes[0].imshow(img.convert("L").resize((224, 224)), cmap="gray")
        axes[0].set_title(f"{classes[top]} {probs[top]:.2f}")
        axes[1].imshow(heatmap, cmap="jet")
        axes[2].imshow(sal, cmap="hot")
        for ax in axes:
            ax.axis("off")
        fig.savefig(Path(args.out) / f"{path.stem}_explain.png", bbox_inches="tight")
        plt.close(fig)


if __name__ == "__main__":
    main()
