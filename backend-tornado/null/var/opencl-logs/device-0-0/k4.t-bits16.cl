#pragma OPENCL EXTENSION cl_khr_fp64 : enable  
#pragma OPENCL EXTENSION cl_khr_fp16 : enable  
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable  
__kernel void bits16(__global long *_kernel_context, __constant uchar *_constant_region, __local uchar *_local_region, __global int *_atomics, __global uchar *counts, __global uchar *tokens, __global uchar *given, __global uchar *x, __global uchar *table, __private int format, __global uchar *pow2, __private int hidden)
{
  short sh_36; 
  long l_16, l_32, l_17, l_33, l_18, l_34, l_21, l_22, l_23; 
  int i_37, i_38, i_7, i_39, i_8, i_9, i_11, i_12, i_44, i_13, i_14, i_15, i_48, i_20, i_53, i_57, i_28, i_29, i_30, i_31; 
  float f_54, f_55, f_56, f_41, f_52, f_47, f_26, f_42, f_43, f_27, f_59; 
  ulong ul_19, ul_51, ul_50, ul_49, ul_4, ul_3, ul_35, ul_2, ul_1, ul_6, ul_5, ul_60, ul_25, ul_0; 
  bool b_24, b_40, b_45, b_10, b_58, b_46; 

  // BLOCK 0
  ul_0  =  (ulong) counts;
  ul_1  =  (ulong) tokens;
  ul_2  =  (ulong) given;
  ul_3  =  (ulong) x;
  ul_4  =  (ulong) table;
  ul_5  =  (ulong) pow2;
  ul_6  =  ul_0 + 16L;
  i_7  =  *((__global int *) ul_6);
  i_8  =  get_global_id(0);
  i_9  =  i_7 << 3;
  b_10  =  i_8 < i_9;
  if(b_10)
  {
    // BLOCK 1
    i_11  =  i_8 >> 31;
    i_12  =  i_11 >> 29;
    i_13  =  i_12 + i_8;
    i_14  =  i_13 >> 3;
    i_15  =  i_14 << 2;
    l_16  =  (long) i_15;
    l_17  =  l_16 + 4L;
    l_18  =  l_17 << 2;
    ul_19  =  ul_1 + l_18;
    i_20  =  *((__global int *) ul_19);
    l_21  =  (long) i_8;
    l_22  =  l_21 + 4L;
    l_23  =  l_22 << 2;
    b_24  =  i_20 < 0;
    if(b_24)
    {
      // BLOCK 2
      ul_25  =  ul_2 + l_23;
      f_26  =  *((__global float *) ul_25);
      f_27  =  f_26;
    }  // B1
    else
    {
      // BLOCK 3
      i_28  =  i_20 << 3;
      i_29  =  i_28 + i_8;
      i_30  =  i_13 & -8;
      i_31  =  i_29 - i_30;
      l_32  =  (long) i_31;
      l_33  =  l_32 + 8L;
      l_34  =  l_33 << 1;
      ul_35  =  ul_4 + l_34;
      sh_36  =  *((__global short *) ul_35);
      i_37  =  (int) sh_36;
      i_38  =  i_37 & 1023;
      i_39  =  i_37 >> 10;
      b_40  =  (i_39 & 31) == 0;
      if(b_40)
      {
        // BLOCK 4
        f_41  =  (float) i_38;
        f_42  =  f_41 * 5.9604645E-8F;
        f_43  =  f_42;
      }  // B3
      else
      {
        // BLOCK 5
        i_44  =  i_39 & 31;
        b_45  =  i_44 == 31;
        if(b_45)
        {
          // BLOCK 6
          b_46  =  (i_37 & 1023) == 0;
          if(b_46)
          {
            // BLOCK 7
            f_47  =  1.0F / 0.0F;
            f_43  =  f_47;
          }  // B6
          else
          {
            // BLOCK 8
            f_43  =  NaNF;
          }  // B6
        }  // B5
        else
        {
          // BLOCK 9
          i_48  =  i_44 + 116;
          ul_49  =  i_48 & 4294967295UL;
          ul_50  =  ul_49 << 2;
          ul_51  =  ul_5 + ul_50;
          f_52  =  *((__global float *) ul_51);
          i_53  =  i_38 + 1024;
          f_54  =  (float) i_53;
          f_55  =  f_54 * 9.765625E-4F;
          f_56  =  f_55 * f_52;
          f_43  =  f_56;
        }  // B5
      }  // B3
      // BLOCK 10 MERGES [4 7 9 8 ]
      i_57  =  i_37 >> 15;
      b_58  =  (i_57 & 1) == 0;
      if(b_58)
      {
        // BLOCK 11
        f_27  =  f_43;
      }  // B10
      else
      {
        // BLOCK 12
        f_59  =  -f_43;
        f_27  =  f_59;
      }  // B10
    }  // B1
    // BLOCK 13 MERGES [2 12 11 ]
    ul_60  =  ul_3 + l_23;
    *((__global float *) ul_60)  =  f_27;
  }  // B0
  else
  {
    // BLOCK 14
  }  // B0
  // BLOCK 15 MERGES [14 13 ]
  return;
}  //  kernel
