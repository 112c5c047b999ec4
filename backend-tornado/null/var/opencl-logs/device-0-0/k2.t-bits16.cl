#pragma OPENCL EXTENSION cl_khr_fp64 : enable  
#pragma OPENCL EXTENSION cl_khr_fp16 : enable  
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable  
__kernel void bits16(__global long *_kernel_context, __constant uchar *_constant_region, __local uchar *_local_region, __global int *_atomics, __global uchar *counts, __private int countIdx, __global uchar *in, __private int inStride, __global uchar *out, __private int outStride, __global uchar *weights, __private int format, __global uchar *pow2, __global uchar *bias, __private int hasBias, __private int accumulate, __private int rows, __private int cols)
{
  short sh_29; 
  long l_55, l_56, l_25, l_57, l_26, l_27, l_76, l_77, l_78; 
  int i_32, i_37, i_46, i_50, i_54, i_61, i_63, i_64, i_65, i_66, i_69, i_7, i_8, i_72, i_9, i_10, i_11, i_13, i_14, i_15, i_16, i_17, i_18, i_19, i_20, i_21, i_23, i_24, i_30, i_31; 
  float f_70, f_71, f_40, f_34, f_35, f_36, f_68, f_47, f_48, f_49, f_75, f_45, f_22, f_52, f_53, f_62, f_59, f_60; 
  ulong ul_44, ul_43, ul_42, ul_41, ul_79, ul_4, ul_3, ul_2, ul_1, ul_6, ul_28, ul_58, ul_0; 
  bool b_51, b_67, b_73, b_39, b_38, b_12, b_74, b_33; 

  // BLOCK 0
  ul_0  =  (ulong) counts;
  ul_1  =  (ulong) in;
  ul_2  =  (ulong) out;
  ul_3  =  (ulong) weights;
  ul_4  =  (ulong) pow2;
  __local float adf_5[256];
  ul_6  =  ul_0 + 16L;
  i_7  =  *((__global int *) ul_6);
  i_8  =  get_group_id(0);
  i_9  =  i_8 / 5;
  i_10  =  get_local_size(0);
  i_11  =  get_local_id(0);
  b_12  =  i_9 < i_7;
  if(b_12)
  {
    // BLOCK 1
    i_13  =  i_9 << 6;
    i_14  =  i_9 << 5;
    i_15  =  i_13 + i_14;
    i_16  =  i_9 << 2;
    i_17  =  i_16 + i_9;
    i_18  =  i_8 - i_17;
    i_19  =  i_18 << 6;
    i_20  =  i_18 << 5;
    i_21  =  i_19 + i_20;
    // BLOCK 2 MERGES [1 13 ]
    f_22  =  0.0F;
    i_23  =  i_11;
    for(;i_23 < 96;)
    {
      // BLOCK 3
      i_24  =  i_21 + i_23;
      l_25  =  (long) i_24;
      l_26  =  l_25 + 8L;
      l_27  =  l_26 << 1;
      ul_28  =  ul_3 + l_27;
      sh_29  =  *((__global short *) ul_28);
      i_30  =  (int) sh_29;
      i_31  =  i_30 & 127;
      i_32  =  i_30 >> 7;
      b_33  =  (i_32 & 255) == 0;
      if(b_33)
      {
        // BLOCK 4
        f_34  =  (float) i_31;
        f_35  =  f_34 * 9.1835E-41F;
        f_36  =  f_35;
      }  // B3
      else
      {
        // BLOCK 5
        i_37  =  i_32 & 255;
        b_38  =  i_37 == 255;
        if(b_38)
        {
          // BLOCK 6
          b_39  =  (i_30 & 127) == 0;
          if(b_39)
          {
            // BLOCK 7
            f_40  =  1.0F / 0.0F;
            f_36  =  f_40;
          }  // B6
          else
          {
            // BLOCK 8
            f_36  =  NaNF;
          }  // B6
        }  // B5
        else
        {
          // BLOCK 9
          ul_41  =  i_37 & 4294967295UL;
          ul_42  =  ul_41 + 4L;
          ul_43  =  ul_42 << 2;
          ul_44  =  ul_4 + ul_43;
          f_45  =  *((__global float *) ul_44);
          i_46  =  i_31 + 128;
          f_47  =  (float) i_46;
          f_48  =  f_47 * 0.0078125F;
          f_49  =  f_48 * f_45;
          f_36  =  f_49;
        }  // B5
      }  // B3
      // BLOCK 10 MERGES [4 7 9 8 ]
      i_50  =  i_30 >> 15;
      b_51  =  (i_50 & 1) == 0;
      if(b_51)
      {
        // BLOCK 11
        f_52  =  f_36;
      }  // B10
      else
      {
        // BLOCK 12
        f_53  =  -f_36;
        f_52  =  f_53;
      }  // B10
      // BLOCK 13 MERGES [12 11 ]
      i_54  =  i_15 + i_23;
      l_55  =  (long) i_54;
      l_56  =  l_55 + 4L;
      l_57  =  l_56 << 2;
      ul_58  =  ul_1 + l_57;
      f_59  =  *((__global float *) ul_58);
      f_60  =  fma(f_52, f_59, f_22);
      i_61  =  i_10 + i_23;
      f_22  =  f_60;
      i_23  =  i_61;
    }  // B2
    // BLOCK 14
    f_62  =  f_22;
  }  // B0
  else
  {
    // BLOCK 15
    f_62  =  0.0F;
  }  // B0
  // BLOCK 16 MERGES [15 14 ]
  adf_5[i_11]  =  f_62;
  barrier(CLK_LOCAL_MEM_FENCE);
  i_63  =  i_10 >> 31;
  i_64  =  i_63 + i_10;
  i_65  =  i_64 >> 1;
  // BLOCK 17 MERGES [16 21 ]
  i_66  =  i_65;
  for(;i_66 >= 1;)
  {
    // BLOCK 18
    b_67  =  i_11 < i_66;
    if(b_67)
    {
      // BLOCK 19
      f_68  =  adf_5[i_11];
      i_69  =  i_66 + i_11;
      f_70  =  adf_5[i_69];
      f_71  =  f_68 + f_70;
      adf_5[i_11]  =  f_71;
    }  // B18
    else
    {
      // BLOCK 20
    }  // B18
    // BLOCK 21 MERGES [20 19 ]
    barrier(CLK_LOCAL_MEM_FENCE);
    i_72  =  i_66 >> 1;
    i_66  =  i_72;
  }  // B17
  // BLOCK 22
  b_73  =  i_9 < i_7;
  if(b_73)
  {
    // BLOCK 23
    b_74  =  i_11 == 0;
    if(b_74)
    {
      // BLOCK 24
      f_75  =  adf_5[0];
      l_76  =  (long) i_8;
      l_77  =  l_76 + 4L;
      l_78  =  l_77 << 2;
      ul_79  =  ul_2 + l_78;
      *((__global float *) ul_79)  =  f_75;
      return;
    }  // B23
    else
    {
      // BLOCK 25
      return;
    }  // B23
  }  // B22
  else
  {
    // BLOCK 26
  }  // B22
  // BLOCK 27 MERGES [26 25 24 ]
  return;
}  //  kernel
