// SPDX-License-Identifier: Apache-2.0
// The layer zoo: the layer shapes every benchmark and the report run, as plain data. One entry
// per distinct shape of a real network, named after the layer in the network's own definition
// (where a network repeats a shape, the first layer with that shape stands for all of them).
#pragma once

#include <array>
#include <string>
#include <vector>

#include "spk/core/conv_shape.hpp"
#include "spk/core/error.hpp"

namespace spk_bench::zoo {

using spk::index_t;
using dims3 = std::array<index_t, 3>;

enum class op_kind { conv2d, conv3d, gemm, gemv };

inline const char* op_name(op_kind op) {
  switch (op) {
    case op_kind::conv2d:
      return "conv2d";
    case op_kind::conv3d:
      return "conv3d";
    case op_kind::gemm:
      return "gemm";
    case op_kind::gemv:
      return "gemv";
  }
  return "?";
}

/// One layer. Convolutions: input batch x C x in (D, H, W; conv2d has D = 1 and a 1-deep
/// kernel), weights F x C/groups x kernel, symmetric padding. GEMM/GEMV: y[M x N] = x[M x K] *
/// W[K x N] (W is the layer's weight matrix; a GEMV is M = 1, which benchmarks run as y = W^T x
/// with the weights stored N x K, the row-major layout of an RNN's weight matrix).
struct layer {
  const char* model = "";
  const char* name = "";
  op_kind op = op_kind::conv2d;
  index_t batch = 1, C = 0, F = 0;
  dims3 in{1, 1, 1}, kernel{1, 1, 1}, stride{1, 1, 1}, pad{0, 0, 0};
  index_t groups = 1;
  index_t M = 0, N = 0, K = 0;

  bool is_conv() const { return op == op_kind::conv2d || op == op_kind::conv3d; }
  std::string full_name() const { return std::string(model) + "/" + name; }

  spk::conv2d_shape conv2d_shape() const {
    spk::conv2d_params p;
    p.with_stride({stride[1], stride[2]})
        .with_pad({pad[1], pad[2]}, {pad[1], pad[2]})
        .with_groups(groups);
    return spk::make_conv_shape<2>(batch, C, {in[1], in[2]}, F, {kernel[1], kernel[2]}, p, "zoo");
  }
  spk::conv3d_shape conv3d_shape() const {
    spk::conv3d_params p;
    p.with_stride(stride).with_pad(pad, pad).with_groups(groups);
    return spk::make_conv_shape<3>(batch, C, in, F, kernel, p, "zoo");
  }
  /// Output spatial dims (D, H, W); conv2d has D = 1.
  dims3 out() const {
    if (op == op_kind::conv3d) return conv3d_shape().out;
    const auto o = conv2d_shape().out;
    return {1, o[0], o[1]};
  }
  /// Dense multiply-adds x 2.
  double dense_flops() const {
    if (op == op_kind::conv2d) return conv2d_shape().dense_flops();
    if (op == op_kind::conv3d) return conv3d_shape().dense_flops();
    return 2.0 * double(M) * double(N) * double(K);
  }
  /// Compact human-readable shape, e.g. "256->256 @56x56 k3 s1 p1" or "128x768 * 768x3072".
  std::string shape_string() const {
    auto d = [](const dims3& v, bool three) {
      if (!three) return std::to_string(v[1]) + (v[1] == v[2] ? "" : "x" + std::to_string(v[2]));
      if (v[0] == v[1] && v[1] == v[2]) return std::to_string(v[0]);
      return std::to_string(v[0]) + "x" + std::to_string(v[1]) + "x" + std::to_string(v[2]);
    };
    if (!is_conv())
      return std::to_string(M) + "x" + std::to_string(K) + " * " + std::to_string(K) + "x" +
             std::to_string(N);
    const bool three = op == op_kind::conv3d;
    std::string sp = three ? std::to_string(in[0]) + "x" : "";
    sp += std::to_string(in[1]) + "x" + std::to_string(in[2]);
    std::string s = std::to_string(C) + "->" + std::to_string(F) + " @" + sp + " k" +
                    d(kernel, three) + " s" + d(stride, three) + " p" + d(pad, three);
    if (groups > 1) s += " g" + std::to_string(groups);
    if (batch > 1) s += " n" + std::to_string(batch);
    return s;
  }
};

namespace detail {
/// Square 2D convolution, darknet/caffe style: pad defaults to k/2 ("same" at stride 1).
inline layer conv2d(const char* model, const char* name, index_t C, index_t F, index_t hw,
                    index_t k, index_t s = 1, index_t p = -1) {
  layer l;
  l.model = model, l.name = name, l.op = op_kind::conv2d, l.C = C, l.F = F;
  l.in = {1, hw, hw}, l.kernel = {1, k, k}, l.stride = {1, s, s};
  p = p < 0 ? k / 2 : p;
  l.pad = {0, p, p};
  return l;
}
inline layer conv3d(const char* model, const char* name, index_t C, index_t F, dims3 in, dims3 k,
                    dims3 s, dims3 p) {
  layer l;
  l.model = model, l.name = name, l.op = op_kind::conv3d, l.C = C, l.F = F;
  l.in = in, l.kernel = k, l.stride = s, l.pad = p;
  return l;
}
inline layer gemm(const char* model, const char* name, index_t M, index_t N, index_t K) {
  layer l;
  l.model = model, l.name = name, l.op = M == 1 ? op_kind::gemv : op_kind::gemm;
  l.M = M, l.N = N, l.K = K;
  return l;
}
}  // namespace detail

// VGG-16: Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
// Recognition" (ICLR 2015), configuration D, 224x224 input. All 13 conv layers (3x3, pad 1).
inline void add_vgg16(std::vector<layer>& z) {
  using detail::conv2d;
  const char* m = "vgg16";
  z.push_back(conv2d(m, "conv1_1", 3, 64, 224, 3));
  z.push_back(conv2d(m, "conv1_2", 64, 64, 224, 3));
  z.push_back(conv2d(m, "conv2_1", 64, 128, 112, 3));
  z.push_back(conv2d(m, "conv2_2", 128, 128, 112, 3));
  z.push_back(conv2d(m, "conv3_1", 128, 256, 56, 3));
  z.push_back(conv2d(m, "conv3_2", 256, 256, 56, 3));
  z.push_back(conv2d(m, "conv3_3", 256, 256, 56, 3));
  z.push_back(conv2d(m, "conv4_1", 256, 512, 28, 3));
  z.push_back(conv2d(m, "conv4_2", 512, 512, 28, 3));
  z.push_back(conv2d(m, "conv4_3", 512, 512, 28, 3));
  z.push_back(conv2d(m, "conv5_1", 512, 512, 14, 3));
  z.push_back(conv2d(m, "conv5_2", 512, 512, 14, 3));
  z.push_back(conv2d(m, "conv5_3", 512, 512, 14, 3));
}

// ResNet-50: He et al., "Deep Residual Learning for Image Recognition" (CVPR 2016), the
// original Caffe model (ResNet-50-deploy.prototxt, stride 2 in the first 1x1 of a stage),
// 224x224 input. The stem, then per stage: the 1x1 reduce and 1x1 expand of the first
// bottleneck (stride 2 from res3 on), its projection shortcut (branch1), the 3x3, and the 1x1
// reduce of the following bottlenecks (256/512/1024/2048 -> planes).
inline void add_resnet50(std::vector<layer>& z) {
  using detail::conv2d;
  const char* m = "resnet50";
  z.push_back(conv2d(m, "conv1", 3, 64, 224, 7, 2, 3));
  z.push_back(conv2d(m, "res2a_branch1", 64, 256, 56, 1));  // = res2a_branch2c's shape
  z.push_back(conv2d(m, "res2a_branch2a", 64, 64, 56, 1));
  z.push_back(conv2d(m, "res2a_branch2b", 64, 64, 56, 3));
  z.push_back(conv2d(m, "res2b_branch2a", 256, 64, 56, 1));
  z.push_back(conv2d(m, "res3a_branch1", 256, 512, 56, 1, 2));
  z.push_back(conv2d(m, "res3a_branch2a", 256, 128, 56, 1, 2));
  z.push_back(conv2d(m, "res3a_branch2b", 128, 128, 28, 3));
  z.push_back(conv2d(m, "res3a_branch2c", 128, 512, 28, 1));
  z.push_back(conv2d(m, "res3b_branch2a", 512, 128, 28, 1));
  z.push_back(conv2d(m, "res4a_branch1", 512, 1024, 28, 1, 2));
  z.push_back(conv2d(m, "res4a_branch2a", 512, 256, 28, 1, 2));
  z.push_back(conv2d(m, "res4a_branch2b", 256, 256, 14, 3));
  z.push_back(conv2d(m, "res4a_branch2c", 256, 1024, 14, 1));
  z.push_back(conv2d(m, "res4b_branch2a", 1024, 256, 14, 1));
  z.push_back(conv2d(m, "res5a_branch1", 1024, 2048, 14, 1, 2));
  z.push_back(conv2d(m, "res5a_branch2a", 1024, 512, 14, 1, 2));
  z.push_back(conv2d(m, "res5a_branch2b", 512, 512, 7, 3));
  z.push_back(conv2d(m, "res5a_branch2c", 512, 2048, 7, 1));
  z.push_back(conv2d(m, "res5b_branch2a", 2048, 512, 7, 1));
}

// MobileNet-V2: Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks"
// (CVPR 2018), width 1.0, 224x224 input; layer names from the Keras application
// (keras.applications.MobileNetV2). The pointwise (1x1) expand and project convolutions and
// the final 1x1 (Conv_1); the depthwise 3x3s are not in the zoo. Shapes repeated inside a
// stage (e.g. block_3_expand = block_2_expand) appear once.
inline void add_mobilenetv2(std::vector<layer>& z) {
  using detail::conv2d;
  const char* m = "mobilenetv2";
  z.push_back(conv2d(m, "expanded_conv_project", 32, 16, 112, 1));
  z.push_back(conv2d(m, "block_1_expand", 16, 96, 112, 1));
  z.push_back(conv2d(m, "block_1_project", 96, 24, 56, 1));
  z.push_back(conv2d(m, "block_2_expand", 24, 144, 56, 1));
  z.push_back(conv2d(m, "block_2_project", 144, 24, 56, 1));
  z.push_back(conv2d(m, "block_3_project", 144, 32, 28, 1));
  z.push_back(conv2d(m, "block_4_expand", 32, 192, 28, 1));
  z.push_back(conv2d(m, "block_4_project", 192, 32, 28, 1));
  z.push_back(conv2d(m, "block_6_project", 192, 64, 14, 1));
  z.push_back(conv2d(m, "block_7_expand", 64, 384, 14, 1));
  z.push_back(conv2d(m, "block_7_project", 384, 64, 14, 1));
  z.push_back(conv2d(m, "block_10_project", 384, 96, 14, 1));
  z.push_back(conv2d(m, "block_11_expand", 96, 576, 14, 1));
  z.push_back(conv2d(m, "block_11_project", 576, 96, 14, 1));
  z.push_back(conv2d(m, "block_13_project", 576, 160, 7, 1));
  z.push_back(conv2d(m, "block_14_expand", 160, 960, 7, 1));
  z.push_back(conv2d(m, "block_14_project", 960, 160, 7, 1));
  z.push_back(conv2d(m, "block_16_project", 960, 320, 7, 1));
  z.push_back(conv2d(m, "Conv_1", 320, 1280, 7, 1));
}

// YOLOv4: Bochkovskiy et al., "YOLOv4: Optimal Speed and Accuracy of Object Detection" (2020),
// darknet cfg/yolov4.cfg (CSPDarknet53 backbone, SPP, PANet neck, 3 YOLO heads, 80 classes) at
// 320x320 input. conv_<i> is layer i of the cfg (darknet counts every [section] from 0); every
// distinct conv shape appears once, under its first layer index. All convs use pad = size/2.
inline void add_yolov4(std::vector<layer>& z) {
  using detail::conv2d;
  const char* m = "yolov4";
  // Backbone: stem, then per CSP stage the stride-2 3x3 downsample, the CSP split 1x1s, the
  // residual 1x1 + 3x3 pair, and the CSP transition 1x1.
  z.push_back(conv2d(m, "conv_0", 3, 32, 320, 3));
  z.push_back(conv2d(m, "conv_1", 32, 64, 320, 3, 2));
  z.push_back(conv2d(m, "conv_2", 64, 64, 160, 1));
  z.push_back(conv2d(m, "conv_5", 64, 32, 160, 1));
  z.push_back(conv2d(m, "conv_6", 32, 64, 160, 3));
  z.push_back(conv2d(m, "conv_10", 128, 64, 160, 1));
  z.push_back(conv2d(m, "conv_11", 64, 128, 160, 3, 2));
  z.push_back(conv2d(m, "conv_12", 128, 64, 80, 1));
  z.push_back(conv2d(m, "conv_15", 64, 64, 80, 1));
  z.push_back(conv2d(m, "conv_16", 64, 64, 80, 3));
  z.push_back(conv2d(m, "conv_23", 128, 128, 80, 1));
  z.push_back(conv2d(m, "conv_24", 128, 256, 80, 3, 2));
  z.push_back(conv2d(m, "conv_25", 256, 128, 40, 1));
  z.push_back(conv2d(m, "conv_28", 128, 128, 40, 1));
  z.push_back(conv2d(m, "conv_29", 128, 128, 40, 3));
  z.push_back(conv2d(m, "conv_54", 256, 256, 40, 1));
  z.push_back(conv2d(m, "conv_55", 256, 512, 40, 3, 2));
  z.push_back(conv2d(m, "conv_56", 512, 256, 20, 1));
  z.push_back(conv2d(m, "conv_59", 256, 256, 20, 1));
  z.push_back(conv2d(m, "conv_60", 256, 256, 20, 3));
  z.push_back(conv2d(m, "conv_85", 512, 512, 20, 1));
  z.push_back(conv2d(m, "conv_86", 512, 1024, 20, 3, 2));
  z.push_back(conv2d(m, "conv_87", 1024, 512, 10, 1));
  z.push_back(conv2d(m, "conv_90", 512, 512, 10, 1));
  z.push_back(conv2d(m, "conv_91", 512, 512, 10, 3));
  z.push_back(conv2d(m, "conv_104", 1024, 1024, 10, 1));
  // Neck: SPP (conv_105..107 around the max-pools, conv_114 on the 4 x 512 concat), then the
  // PANet top-down and bottom-up paths (their 1x1 laterals and 3x3s; conv_141/152 downsample).
  z.push_back(conv2d(m, "conv_106", 512, 1024, 10, 3));
  z.push_back(conv2d(m, "conv_114", 2048, 512, 10, 1));
  z.push_back(conv2d(m, "conv_117", 512, 256, 10, 1));
  z.push_back(conv2d(m, "conv_123", 256, 512, 20, 3));
  z.push_back(conv2d(m, "conv_127", 256, 128, 20, 1));
  z.push_back(conv2d(m, "conv_133", 128, 256, 40, 3));
  z.push_back(conv2d(m, "conv_141", 128, 256, 40, 3, 2));
  z.push_back(conv2d(m, "conv_152", 256, 512, 20, 3, 2));
  // Heads: 1x1 to 3 anchors x (80 classes + 5) = 255 channels at 40, 20 and 10.
  z.push_back(conv2d(m, "conv_138", 256, 255, 40, 1));
  z.push_back(conv2d(m, "conv_149", 512, 255, 20, 1));
  z.push_back(conv2d(m, "conv_160", 1024, 255, 10, 1));
}

// C3D: Tran et al., "Learning Spatiotemporal Features with 3D Convolutional Networks" (ICCV
// 2015), 16x112x112 clips. 3x3x3 kernels, stride 1, pad 1; input planes after the pools.
inline void add_c3d(std::vector<layer>& z) {
  using detail::conv3d;
  const char* m = "c3d";
  const dims3 k{3, 3, 3}, s{1, 1, 1}, p{1, 1, 1};
  z.push_back(conv3d(m, "conv1a", 3, 64, {16, 112, 112}, k, s, p));
  z.push_back(conv3d(m, "conv2a", 64, 128, {16, 56, 56}, k, s, p));
  z.push_back(conv3d(m, "conv3a", 128, 256, {8, 28, 28}, k, s, p));
  z.push_back(conv3d(m, "conv3b", 256, 256, {8, 28, 28}, k, s, p));
  z.push_back(conv3d(m, "conv4a", 256, 512, {4, 14, 14}, k, s, p));
  z.push_back(conv3d(m, "conv4b", 512, 512, {4, 14, 14}, k, s, p));
  z.push_back(conv3d(m, "conv5a", 512, 512, {2, 7, 7}, k, s, p));
  z.push_back(conv3d(m, "conv5b", 512, 512, {2, 7, 7}, k, s, p));
}

// R(2+1)D-18: Tran et al., "A Closer Look at Spatiotemporal Convolutions for Action
// Recognition" (CVPR 2018), as torchvision.models.video.r2plus1d_18, 16x112x112 clips. Each
// 3x3x3 conv is factorised into a 1x3x3 spatial conv to M mid channels and a 3x1x1 temporal
// conv, M = (Cin*Cout*27) / (Cin*9 + 3*Cout) fixed per block (64->64: 144; 64->128: 230;
// 128->128: 288; 128->256: 460; 256->256: 576; 256->512: 921; 512->512: 1152). Names:
// layerS.B.convJ.{spatial,temporal} = torchvision's layerS.B.convJ.0.{0,3}; the stride-2 first
// block of stages 2-4 strides both parts (spatial 1x2x2, temporal 2x1x1).
inline void add_r2plus1d(std::vector<layer>& z) {
  using detail::conv3d;
  const char* m = "r2plus1d";
  const dims3 ks{1, 3, 3}, kt{3, 1, 1}, ps{0, 1, 1}, pt{1, 0, 0}, s1{1, 1, 1}, z0{0, 0, 0};
  z.push_back(conv3d(m, "stem.spatial", 3, 45, {16, 112, 112}, {1, 7, 7}, {1, 2, 2}, {0, 3, 3}));
  z.push_back(conv3d(m, "stem.temporal", 45, 64, {16, 56, 56}, kt, s1, pt));
  z.push_back(conv3d(m, "layer1.0.conv1.spatial", 64, 144, {16, 56, 56}, ks, s1, ps));
  z.push_back(conv3d(m, "layer1.0.conv1.temporal", 144, 64, {16, 56, 56}, kt, s1, pt));
  struct stage {
    const char *sp1, *tp1, *sp2, *tp2, *down, *sp3, *tp3;
    index_t cin, cout, mid_first, mid;
    dims3 in;  // input of the stage's first block
  };
  static const stage stages[] = {
      {"layer2.0.conv1.spatial",
       "layer2.0.conv1.temporal",
       "layer2.0.conv2.spatial",
       "layer2.0.conv2.temporal",
       "layer2.0.downsample",
       "layer2.1.conv1.spatial",
       "layer2.1.conv1.temporal",
       64,
       128,
       230,
       288,
       {16, 56, 56}},
      {"layer3.0.conv1.spatial",
       "layer3.0.conv1.temporal",
       "layer3.0.conv2.spatial",
       "layer3.0.conv2.temporal",
       "layer3.0.downsample",
       "layer3.1.conv1.spatial",
       "layer3.1.conv1.temporal",
       128,
       256,
       460,
       576,
       {8, 28, 28}},
      {"layer4.0.conv1.spatial",
       "layer4.0.conv1.temporal",
       "layer4.0.conv2.spatial",
       "layer4.0.conv2.temporal",
       "layer4.0.downsample",
       "layer4.1.conv1.spatial",
       "layer4.1.conv1.temporal",
       256,
       512,
       921,
       1152,
       {4, 14, 14}},
  };
  for (const stage& st : stages) {
    const dims3 mid_in{st.in[0], st.in[1] / 2, st.in[2] / 2};         // after the spatial stride
    const dims3 out{(st.in[0] + 1) / 2, st.in[1] / 2, st.in[2] / 2};  // after both strides
    z.push_back(conv3d(m, st.sp1, st.cin, st.mid_first, st.in, ks, {1, 2, 2}, ps));
    z.push_back(conv3d(m, st.tp1, st.mid_first, st.cout, mid_in, kt, {2, 1, 1}, pt));
    z.push_back(conv3d(m, st.sp2, st.cout, st.mid_first, out, ks, s1, ps));
    z.push_back(conv3d(m, st.tp2, st.mid_first, st.cout, out, kt, s1, pt));
    z.push_back(conv3d(m, st.down, st.cin, st.cout, st.in, {1, 1, 1}, {2, 2, 2}, z0));
    z.push_back(conv3d(m, st.sp3, st.cout, st.mid, out, ks, s1, ps));
    z.push_back(conv3d(m, st.tp3, st.mid, st.cout, out, kt, s1, pt));
  }
}

// GRU on TIMIT: 2 layers x 1024 hidden units, 153-dim acoustic features, the model of
// RTMobile (Dong et al., "RTMobile: Beyond Real-Time Mobile Acceleration of RNNs for Speech
// Recognition", DAC 2020). Names follow torch.nn.GRU's weights: ih_l0 is the input projection
// of layer 0 for a T = 100 frame utterance (one GEMM for all frames, 3 gates x 1024 outputs),
// hh_l0 the per-step recurrent GEMV (batch 1), ih_l1 layer 1's input projection (hh_l1 = hh_l0).
inline void add_gru(std::vector<layer>& z) {
  using detail::gemm;
  const char* m = "gru";
  z.push_back(gemm(m, "ih_l0", 100, 3072, 153));
  z.push_back(gemm(m, "hh_l0", 1, 3072, 1024));
  z.push_back(gemm(m, "ih_l1", 100, 3072, 1024));
}

// BERT-base: Devlin et al., "BERT: Pre-training of Deep Bidirectional Transformers" (NAACL
// 2019), hidden 768, 12 heads, FFN 3072, one 128-token sequence. Names follow the Hugging Face
// BertLayer modules; attention.self.qkv is query/key/value fused into one 768 -> 2304 GEMM.
inline void add_bert(std::vector<layer>& z) {
  using detail::gemm;
  const char* m = "bert";
  z.push_back(gemm(m, "attention.self.qkv", 128, 2304, 768));
  z.push_back(gemm(m, "attention.output.dense", 128, 768, 768));
  z.push_back(gemm(m, "intermediate.dense", 128, 3072, 768));
  z.push_back(gemm(m, "output.dense", 128, 768, 3072));
}

/// Every zoo layer, grouped by model in the order of models().
inline const std::vector<layer>& all_layers() {
  static const std::vector<layer> z = [] {
    std::vector<layer> v;
    add_vgg16(v), add_resnet50(v), add_mobilenetv2(v), add_yolov4(v);
    add_c3d(v), add_r2plus1d(v), add_gru(v), add_bert(v);
    return v;
  }();
  return z;
}

inline const std::vector<std::string>& models() {
  static const std::vector<std::string> m = {"vgg16", "resnet50", "mobilenetv2", "yolov4",
                                             "c3d",   "r2plus1d", "gru",         "bert"};
  return m;
}

/// Layers of one model (empty if unknown).
inline std::vector<layer> model_layers(const std::string& model) {
  std::vector<layer> v;
  for (const layer& l : all_layers())
    if (model == l.model) v.push_back(l);
  return v;
}

/// The layer named `name` of `model`; throws spk::error listing the model's layers if absent.
inline const layer& find(const std::string& model, const std::string& name) {
  std::string known;
  for (const layer& l : all_layers())
    if (model == l.model) {
      if (name == l.name) return l;
      known += (known.empty() ? "" : ", ") + std::string(l.name);
    }
  if (known.empty())
    spk::raise_arg(spk::errc::invalid_argument, "zoo::find", "model", model, "a zoo model");
  spk::raise_arg(spk::errc::invalid_argument, "zoo::find", "layer", model + "/" + name,
                 "one of: " + known);
}

/// The report's default selection: 2-3 layers per model that show the model's typical shape
/// classes, small enough that the whole run stays well under 3 minutes on 1 thread.
inline std::vector<layer> default_selection() {
  static const char* const picks[][2] = {
      {"vgg16", "conv1_2"},
      {"vgg16", "conv3_2"},
      {"vgg16", "conv5_2"},
      {"resnet50", "res2a_branch2b"},
      {"resnet50", "res4a_branch2b"},
      {"resnet50", "res3a_branch1"},
      {"mobilenetv2", "block_2_project"},
      {"mobilenetv2", "block_11_expand"},
      {"yolov4", "conv_24"},
      {"yolov4", "conv_29"},
      {"yolov4", "conv_114"},
      {"c3d", "conv3a"},
      {"c3d", "conv5a"},
      {"r2plus1d", "layer2.1.conv1.spatial"},
      {"r2plus1d", "layer2.1.conv1.temporal"},
      {"gru", "ih_l1"},
      {"gru", "hh_l0"},
      {"bert", "intermediate.dense"},
      {"bert", "attention.self.qkv"},
  };
  std::vector<layer> v;
  for (const auto& p : picks) v.push_back(find(p[0], p[1]));
  return v;
}

/// One representative layer of `model` (the --quick selection).
inline layer quick_pick(const std::string& model) {
  static const char* const picks[][2] = {
      {"vgg16", "conv3_2"},
      {"resnet50", "res2a_branch2b"},
      {"mobilenetv2", "block_11_expand"},
      {"yolov4", "conv_29"},
      {"c3d", "conv3a"},
      {"r2plus1d", "layer2.1.conv1.spatial"},
      {"gru", "hh_l0"},
      {"bert", "intermediate.dense"},
  };
  for (const auto& p : picks)
    if (model == p[0]) return find(p[0], p[1]);
  return model_layers(model).at(0);
}

}  // namespace spk_bench::zoo
