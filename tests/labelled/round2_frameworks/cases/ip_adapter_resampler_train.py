"""Train a perceiver resampler that turns CLIP image features into extra cross-attention
tokens for a frozen Stable Diffusion UNet (an IP-Adapter-Plus style image prompt)."""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
from transformers import CLIPTextModel, CLIPVisionModelWithProjection


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4, p=0.1):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, dim * mult)
        self.fc2 = nn.Linear(dim * mult, dim)
        self.p = p

    def forward(self, x):
        h = F.gelu(self.fc1(self.norm(x)))
        h = F.dropout(h, self.p)
        return self.fc2(h)


class PerceiverAttention(nn.Module):
    def __init__(self, dim, heads=8, attn_drop=0.1):
        super().__init__()
        self.heads, self.attn_drop = heads, attn_drop
        self.norm_x, self.norm_lat = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_kv = nn.Linear(dim, 2 * dim, bias=False)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, latents):
        b, n, d = latents.shape
        x, latents = self.norm_x(x), self.norm_lat(latents)
        q = self.to_q(latents).view(b, n, self.heads, -1).transpose(1, 2)
        k, v = self.to_kv(torch.cat([x, latents], dim=1)).chunk(2, dim=-1)
        k = k.view(b, -1, self.heads, d // self.heads).transpose(1, 2)
        v = v.view(b, -1, self.heads, d // self.heads).transpose(1, 2)
        out = F.scaled_dot_product_attention(q, k, v, dropout_p=self.attn_drop)
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class Resampler(nn.Module):
    def __init__(self, dim=768, depth=4, num_queries=16, embed_dim=1280, out_dim=768, p=0.1):
        super().__init__()
        self.latents = nn.Parameter(torch.randn(1, num_queries, dim) / dim ** 0.5)
        self.proj_in, self.proj_out = nn.Linear(embed_dim, dim), nn.Linear(dim, out_dim)
        self.layers = nn.ModuleList([nn.ModuleList([PerceiverAttention(dim), FeedForward(dim)]) for _ in range(depth)])
        self.norm_out = nn.LayerNorm(out_dim)
        self.p = p

    def forward(self, image_features):
        x = F.dropout(self.proj_in(image_features), self.p, training=self.training)
        latents = self.latents.expand(x.shape[0], -1, -1)
        for attn, ff in self.layers:
            latents = latents + attn(x, latents)
            latents = latents + ff(latents)
        return self.norm_out(self.proj_out(latents))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="runwayml/stable-diffusion-v1-5")
    ap.add_argument("--image-encoder", default="laion/CLIP-ViT-H-14-laion2B-s32B-b79K")
    ap.add_argument("--steps", type=int, default=20000)
    args = ap.parse_args()
    device = "cuda"

    vae = AutoencoderKL.from_pretrained(args.base, subfolder="vae").to(device)
    unet = UNet2DConditionModel.from_pretrained(args.base, subfolder="unet").to(device)
    text_encoder = CLIPTextModel.from_pretrained(args.base, subfolder="text_encoder").to(device)
    image_encoder = CLIPVisionModelWithProjection.from_pretrained(args.image_encoder).to(device)
    noise_scheduler = DDPMScheduler.from_pretrained(args.base, subfolder="scheduler")
    for frozen in (vae, unet, text_encoder, image_encoder):
        frozen.requires_grad_(False)

    resampler = Resampler().to(device)
    optimizer = torch.optim.AdamW(resampler.parameters(), lr=1e-4, weight_decay=0.01)
    loader = torch.load("precomputed_batches.pt")  # list of dicts: pixels, clip_pixels, input_ids

    for step in range(args.steps):
        batch = {k: v.to(device) for k, v in loader[step % len(loader)].items()}
        with torch.no_grad():
            latents = vae.encode(batch["pixels"]).latent_dist.sample() * vae.config.scaling_factor
            text_tokens = text_encoder(batch["input_ids"])[0]
            clip_feats = image_encoder(batch["clip_pixels"], output_hidden_states=True).hidden_states[-2]
        noise = torch.randn_like(latents)
        t = torch.randint(0, noise_scheduler.config.num_train_timesteps, (latents.shape[0],), device=device)
        noisy = noise_scheduler.add_noise(latents, noise, t)
        cond = torch.cat([text_tokens, resampler(clip_feats)], dim=1)
        pred = unet(noisy, t, encoder_hidden_states=cond).sample
        loss = F.mse_loss(pred.float(), noise.float())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if step % 500 == 0:
            print(f"step {step} loss {loss.item():.4f}")
            torch.save(resampler.state_dict(), "resampler.pt")


if __name__ == "__main__":
    main()
