//! Trap entry: one stub per vector pushes (error code, vector) and joins
//! `trap_common`, which saves the registers as a `TrapFrame` and calls
//! `trap_handler`. `trap_return` restores a frame and IRETQs; it is also how
//! a program is entered the first time.

use core::arch::global_asm;

/// Registers saved on kernel entry, lowest address first (the push order
/// of `trap_common` and `syscall_entry` in reverse): the syscall layer's
/// `Regs`, so system calls, signals and clone work on the frame directly.
pub type TrapFrame = lintel_syscall::Regs;

global_asm!(
    r#"
    .section .text
    .global trap_common
    .global trap_return
trap_common:
    testb $3, 24(%rsp)
    jz 1f
    swapgs
1:  pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    movq %rsp, %rdi
    call trap_handler
trap_return:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    testb $3, 8(%rsp)
    jz 2f
    swapgs
2:  iretq

    .balign 16
isr_0:
    pushq $0
    pushq $0
    jmp trap_common
isr_1:
    pushq $0
    pushq $1
    jmp trap_common
isr_2:
    pushq $0
    pushq $2
    jmp trap_common
isr_3:
    pushq $0
    pushq $3
    jmp trap_common
isr_4:
    pushq $0
    pushq $4
    jmp trap_common
isr_5:
    pushq $0
    pushq $5
    jmp trap_common
isr_6:
    pushq $0
    pushq $6
    jmp trap_common
isr_7:
    pushq $0
    pushq $7
    jmp trap_common
isr_8:
    pushq $8
    jmp trap_common
isr_9:
    pushq $0
    pushq $9
    jmp trap_common
isr_10:
    pushq $10
    jmp trap_common
isr_11:
    pushq $11
    jmp trap_common
isr_12:
    pushq $12
    jmp trap_common
isr_13:
    pushq $13
    jmp trap_common
isr_14:
    pushq $14
    jmp trap_common
isr_15:
    pushq $0
    pushq $15
    jmp trap_common
isr_16:
    pushq $0
    pushq $16
    jmp trap_common
isr_17:
    pushq $17
    jmp trap_common
isr_18:
    pushq $0
    pushq $18
    jmp trap_common
isr_19:
    pushq $0
    pushq $19
    jmp trap_common
isr_20:
    pushq $0
    pushq $20
    jmp trap_common
isr_21:
    pushq $21
    jmp trap_common
isr_22:
    pushq $0
    pushq $22
    jmp trap_common
isr_23:
    pushq $0
    pushq $23
    jmp trap_common
isr_24:
    pushq $0
    pushq $24
    jmp trap_common
isr_25:
    pushq $0
    pushq $25
    jmp trap_common
isr_26:
    pushq $0
    pushq $26
    jmp trap_common
isr_27:
    pushq $0
    pushq $27
    jmp trap_common
isr_28:
    pushq $0
    pushq $28
    jmp trap_common
isr_29:
    pushq $29
    jmp trap_common
isr_30:
    pushq $30
    jmp trap_common
isr_31:
    pushq $0
    pushq $31
    jmp trap_common
isr_32:
    pushq $0
    pushq $32
    jmp trap_common
isr_33:
    pushq $0
    pushq $33
    jmp trap_common
isr_34:
    pushq $0
    pushq $34
    jmp trap_common
isr_35:
    pushq $0
    pushq $35
    jmp trap_common
isr_36:
    pushq $0
    pushq $36
    jmp trap_common
isr_37:
    pushq $0
    pushq $37
    jmp trap_common
isr_38:
    pushq $0
    pushq $38
    jmp trap_common
isr_39:
    pushq $0
    pushq $39
    jmp trap_common
isr_40:
    pushq $0
    pushq $40
    jmp trap_common
isr_41:
    pushq $0
    pushq $41
    jmp trap_common
isr_42:
    pushq $0
    pushq $42
    jmp trap_common
isr_43:
    pushq $0
    pushq $43
    jmp trap_common
isr_44:
    pushq $0
    pushq $44
    jmp trap_common
isr_45:
    pushq $0
    pushq $45
    jmp trap_common
isr_46:
    pushq $0
    pushq $46
    jmp trap_common
isr_47:
    pushq $0
    pushq $47
    jmp trap_common
isr_48:
    pushq $0
    pushq $48
    jmp trap_common
isr_49:
    pushq $0
    pushq $49
    jmp trap_common
isr_50:
    pushq $0
    pushq $50
    jmp trap_common
isr_51:
    pushq $0
    pushq $51
    jmp trap_common
isr_52:
    pushq $0
    pushq $52
    jmp trap_common
isr_53:
    pushq $0
    pushq $53
    jmp trap_common
isr_54:
    pushq $0
    pushq $54
    jmp trap_common
isr_55:
    pushq $0
    pushq $55
    jmp trap_common
isr_56:
    pushq $0
    pushq $56
    jmp trap_common
isr_57:
    pushq $0
    pushq $57
    jmp trap_common
isr_58:
    pushq $0
    pushq $58
    jmp trap_common
isr_59:
    pushq $0
    pushq $59
    jmp trap_common
isr_60:
    pushq $0
    pushq $60
    jmp trap_common
isr_61:
    pushq $0
    pushq $61
    jmp trap_common
isr_62:
    pushq $0
    pushq $62
    jmp trap_common
isr_63:
    pushq $0
    pushq $63
    jmp trap_common
isr_64:
    pushq $0
    pushq $64
    jmp trap_common
isr_65:
    pushq $0
    pushq $65
    jmp trap_common
isr_66:
    pushq $0
    pushq $66
    jmp trap_common
isr_67:
    pushq $0
    pushq $67
    jmp trap_common
isr_68:
    pushq $0
    pushq $68
    jmp trap_common
isr_69:
    pushq $0
    pushq $69
    jmp trap_common
isr_70:
    pushq $0
    pushq $70
    jmp trap_common
isr_71:
    pushq $0
    pushq $71
    jmp trap_common
isr_72:
    pushq $0
    pushq $72
    jmp trap_common
isr_73:
    pushq $0
    pushq $73
    jmp trap_common
isr_74:
    pushq $0
    pushq $74
    jmp trap_common
isr_75:
    pushq $0
    pushq $75
    jmp trap_common
isr_76:
    pushq $0
    pushq $76
    jmp trap_common
isr_77:
    pushq $0
    pushq $77
    jmp trap_common
isr_78:
    pushq $0
    pushq $78
    jmp trap_common
isr_79:
    pushq $0
    pushq $79
    jmp trap_common
isr_80:
    pushq $0
    pushq $80
    jmp trap_common
isr_81:
    pushq $0
    pushq $81
    jmp trap_common
isr_82:
    pushq $0
    pushq $82
    jmp trap_common
isr_83:
    pushq $0
    pushq $83
    jmp trap_common
isr_84:
    pushq $0
    pushq $84
    jmp trap_common
isr_85:
    pushq $0
    pushq $85
    jmp trap_common
isr_86:
    pushq $0
    pushq $86
    jmp trap_common
isr_87:
    pushq $0
    pushq $87
    jmp trap_common
isr_88:
    pushq $0
    pushq $88
    jmp trap_common
isr_89:
    pushq $0
    pushq $89
    jmp trap_common
isr_90:
    pushq $0
    pushq $90
    jmp trap_common
isr_91:
    pushq $0
    pushq $91
    jmp trap_common
isr_92:
    pushq $0
    pushq $92
    jmp trap_common
isr_93:
    pushq $0
    pushq $93
    jmp trap_common
isr_94:
    pushq $0
    pushq $94
    jmp trap_common
isr_95:
    pushq $0
    pushq $95
    jmp trap_common
isr_96:
    pushq $0
    pushq $96
    jmp trap_common
isr_97:
    pushq $0
    pushq $97
    jmp trap_common
isr_98:
    pushq $0
    pushq $98
    jmp trap_common
isr_99:
    pushq $0
    pushq $99
    jmp trap_common
isr_100:
    pushq $0
    pushq $100
    jmp trap_common
isr_101:
    pushq $0
    pushq $101
    jmp trap_common
isr_102:
    pushq $0
    pushq $102
    jmp trap_common
isr_103:
    pushq $0
    pushq $103
    jmp trap_common
isr_104:
    pushq $0
    pushq $104
    jmp trap_common
isr_105:
    pushq $0
    pushq $105
    jmp trap_common
isr_106:
    pushq $0
    pushq $106
    jmp trap_common
isr_107:
    pushq $0
    pushq $107
    jmp trap_common
isr_108:
    pushq $0
    pushq $108
    jmp trap_common
isr_109:
    pushq $0
    pushq $109
    jmp trap_common
isr_110:
    pushq $0
    pushq $110
    jmp trap_common
isr_111:
    pushq $0
    pushq $111
    jmp trap_common
isr_112:
    pushq $0
    pushq $112
    jmp trap_common
isr_113:
    pushq $0
    pushq $113
    jmp trap_common
isr_114:
    pushq $0
    pushq $114
    jmp trap_common
isr_115:
    pushq $0
    pushq $115
    jmp trap_common
isr_116:
    pushq $0
    pushq $116
    jmp trap_common
isr_117:
    pushq $0
    pushq $117
    jmp trap_common
isr_118:
    pushq $0
    pushq $118
    jmp trap_common
isr_119:
    pushq $0
    pushq $119
    jmp trap_common
isr_120:
    pushq $0
    pushq $120
    jmp trap_common
isr_121:
    pushq $0
    pushq $121
    jmp trap_common
isr_122:
    pushq $0
    pushq $122
    jmp trap_common
isr_123:
    pushq $0
    pushq $123
    jmp trap_common
isr_124:
    pushq $0
    pushq $124
    jmp trap_common
isr_125:
    pushq $0
    pushq $125
    jmp trap_common
isr_126:
    pushq $0
    pushq $126
    jmp trap_common
isr_127:
    pushq $0
    pushq $127
    jmp trap_common
isr_128:
    pushq $0
    pushq $128
    jmp trap_common
isr_129:
    pushq $0
    pushq $129
    jmp trap_common
isr_130:
    pushq $0
    pushq $130
    jmp trap_common
isr_131:
    pushq $0
    pushq $131
    jmp trap_common
isr_132:
    pushq $0
    pushq $132
    jmp trap_common
isr_133:
    pushq $0
    pushq $133
    jmp trap_common
isr_134:
    pushq $0
    pushq $134
    jmp trap_common
isr_135:
    pushq $0
    pushq $135
    jmp trap_common
isr_136:
    pushq $0
    pushq $136
    jmp trap_common
isr_137:
    pushq $0
    pushq $137
    jmp trap_common
isr_138:
    pushq $0
    pushq $138
    jmp trap_common
isr_139:
    pushq $0
    pushq $139
    jmp trap_common
isr_140:
    pushq $0
    pushq $140
    jmp trap_common
isr_141:
    pushq $0
    pushq $141
    jmp trap_common
isr_142:
    pushq $0
    pushq $142
    jmp trap_common
isr_143:
    pushq $0
    pushq $143
    jmp trap_common
isr_144:
    pushq $0
    pushq $144
    jmp trap_common
isr_145:
    pushq $0
    pushq $145
    jmp trap_common
isr_146:
    pushq $0
    pushq $146
    jmp trap_common
isr_147:
    pushq $0
    pushq $147
    jmp trap_common
isr_148:
    pushq $0
    pushq $148
    jmp trap_common
isr_149:
    pushq $0
    pushq $149
    jmp trap_common
isr_150:
    pushq $0
    pushq $150
    jmp trap_common
isr_151:
    pushq $0
    pushq $151
    jmp trap_common
isr_152:
    pushq $0
    pushq $152
    jmp trap_common
isr_153:
    pushq $0
    pushq $153
    jmp trap_common
isr_154:
    pushq $0
    pushq $154
    jmp trap_common
isr_155:
    pushq $0
    pushq $155
    jmp trap_common
isr_156:
    pushq $0
    pushq $156
    jmp trap_common
isr_157:
    pushq $0
    pushq $157
    jmp trap_common
isr_158:
    pushq $0
    pushq $158
    jmp trap_common
isr_159:
    pushq $0
    pushq $159
    jmp trap_common
isr_160:
    pushq $0
    pushq $160
    jmp trap_common
isr_161:
    pushq $0
    pushq $161
    jmp trap_common
isr_162:
    pushq $0
    pushq $162
    jmp trap_common
isr_163:
    pushq $0
    pushq $163
    jmp trap_common
isr_164:
    pushq $0
    pushq $164
    jmp trap_common
isr_165:
    pushq $0
    pushq $165
    jmp trap_common
isr_166:
    pushq $0
    pushq $166
    jmp trap_common
isr_167:
    pushq $0
    pushq $167
    jmp trap_common
isr_168:
    pushq $0
    pushq $168
    jmp trap_common
isr_169:
    pushq $0
    pushq $169
    jmp trap_common
isr_170:
    pushq $0
    pushq $170
    jmp trap_common
isr_171:
    pushq $0
    pushq $171
    jmp trap_common
isr_172:
    pushq $0
    pushq $172
    jmp trap_common
isr_173:
    pushq $0
    pushq $173
    jmp trap_common
isr_174:
    pushq $0
    pushq $174
    jmp trap_common
isr_175:
    pushq $0
    pushq $175
    jmp trap_common
isr_176:
    pushq $0
    pushq $176
    jmp trap_common
isr_177:
    pushq $0
    pushq $177
    jmp trap_common
isr_178:
    pushq $0
    pushq $178
    jmp trap_common
isr_179:
    pushq $0
    pushq $179
    jmp trap_common
isr_180:
    pushq $0
    pushq $180
    jmp trap_common
isr_181:
    pushq $0
    pushq $181
    jmp trap_common
isr_182:
    pushq $0
    pushq $182
    jmp trap_common
isr_183:
    pushq $0
    pushq $183
    jmp trap_common
isr_184:
    pushq $0
    pushq $184
    jmp trap_common
isr_185:
    pushq $0
    pushq $185
    jmp trap_common
isr_186:
    pushq $0
    pushq $186
    jmp trap_common
isr_187:
    pushq $0
    pushq $187
    jmp trap_common
isr_188:
    pushq $0
    pushq $188
    jmp trap_common
isr_189:
    pushq $0
    pushq $189
    jmp trap_common
isr_190:
    pushq $0
    pushq $190
    jmp trap_common
isr_191:
    pushq $0
    pushq $191
    jmp trap_common
isr_192:
    pushq $0
    pushq $192
    jmp trap_common
isr_193:
    pushq $0
    pushq $193
    jmp trap_common
isr_194:
    pushq $0
    pushq $194
    jmp trap_common
isr_195:
    pushq $0
    pushq $195
    jmp trap_common
isr_196:
    pushq $0
    pushq $196
    jmp trap_common
isr_197:
    pushq $0
    pushq $197
    jmp trap_common
isr_198:
    pushq $0
    pushq $198
    jmp trap_common
isr_199:
    pushq $0
    pushq $199
    jmp trap_common
isr_200:
    pushq $0
    pushq $200
    jmp trap_common
isr_201:
    pushq $0
    pushq $201
    jmp trap_common
isr_202:
    pushq $0
    pushq $202
    jmp trap_common
isr_203:
    pushq $0
    pushq $203
    jmp trap_common
isr_204:
    pushq $0
    pushq $204
    jmp trap_common
isr_205:
    pushq $0
    pushq $205
    jmp trap_common
isr_206:
    pushq $0
    pushq $206
    jmp trap_common
isr_207:
    pushq $0
    pushq $207
    jmp trap_common
isr_208:
    pushq $0
    pushq $208
    jmp trap_common
isr_209:
    pushq $0
    pushq $209
    jmp trap_common
isr_210:
    pushq $0
    pushq $210
    jmp trap_common
isr_211:
    pushq $0
    pushq $211
    jmp trap_common
isr_212:
    pushq $0
    pushq $212
    jmp trap_common
isr_213:
    pushq $0
    pushq $213
    jmp trap_common
isr_214:
    pushq $0
    pushq $214
    jmp trap_common
isr_215:
    pushq $0
    pushq $215
    jmp trap_common
isr_216:
    pushq $0
    pushq $216
    jmp trap_common
isr_217:
    pushq $0
    pushq $217
    jmp trap_common
isr_218:
    pushq $0
    pushq $218
    jmp trap_common
isr_219:
    pushq $0
    pushq $219
    jmp trap_common
isr_220:
    pushq $0
    pushq $220
    jmp trap_common
isr_221:
    pushq $0
    pushq $221
    jmp trap_common
isr_222:
    pushq $0
    pushq $222
    jmp trap_common
isr_223:
    pushq $0
    pushq $223
    jmp trap_common
isr_224:
    pushq $0
    pushq $224
    jmp trap_common
isr_225:
    pushq $0
    pushq $225
    jmp trap_common
isr_226:
    pushq $0
    pushq $226
    jmp trap_common
isr_227:
    pushq $0
    pushq $227
    jmp trap_common
isr_228:
    pushq $0
    pushq $228
    jmp trap_common
isr_229:
    pushq $0
    pushq $229
    jmp trap_common
isr_230:
    pushq $0
    pushq $230
    jmp trap_common
isr_231:
    pushq $0
    pushq $231
    jmp trap_common
isr_232:
    pushq $0
    pushq $232
    jmp trap_common
isr_233:
    pushq $0
    pushq $233
    jmp trap_common
isr_234:
    pushq $0
    pushq $234
    jmp trap_common
isr_235:
    pushq $0
    pushq $235
    jmp trap_common
isr_236:
    pushq $0
    pushq $236
    jmp trap_common
isr_237:
    pushq $0
    pushq $237
    jmp trap_common
isr_238:
    pushq $0
    pushq $238
    jmp trap_common
isr_239:
    pushq $0
    pushq $239
    jmp trap_common
isr_240:
    pushq $0
    pushq $240
    jmp trap_common
isr_241:
    pushq $0
    pushq $241
    jmp trap_common
isr_242:
    pushq $0
    pushq $242
    jmp trap_common
isr_243:
    pushq $0
    pushq $243
    jmp trap_common
isr_244:
    pushq $0
    pushq $244
    jmp trap_common
isr_245:
    pushq $0
    pushq $245
    jmp trap_common
isr_246:
    pushq $0
    pushq $246
    jmp trap_common
isr_247:
    pushq $0
    pushq $247
    jmp trap_common
isr_248:
    pushq $0
    pushq $248
    jmp trap_common
isr_249:
    pushq $0
    pushq $249
    jmp trap_common
isr_250:
    pushq $0
    pushq $250
    jmp trap_common
isr_251:
    pushq $0
    pushq $251
    jmp trap_common
isr_252:
    pushq $0
    pushq $252
    jmp trap_common
isr_253:
    pushq $0
    pushq $253
    jmp trap_common
isr_254:
    pushq $0
    pushq $254
    jmp trap_common
isr_255:
    pushq $0
    pushq $255
    jmp trap_common

    .section .rodata
    .balign 8
    .global isr_table
isr_table:
    .quad isr_0
    .quad isr_1
    .quad isr_2
    .quad isr_3
    .quad isr_4
    .quad isr_5
    .quad isr_6
    .quad isr_7
    .quad isr_8
    .quad isr_9
    .quad isr_10
    .quad isr_11
    .quad isr_12
    .quad isr_13
    .quad isr_14
    .quad isr_15
    .quad isr_16
    .quad isr_17
    .quad isr_18
    .quad isr_19
    .quad isr_20
    .quad isr_21
    .quad isr_22
    .quad isr_23
    .quad isr_24
    .quad isr_25
    .quad isr_26
    .quad isr_27
    .quad isr_28
    .quad isr_29
    .quad isr_30
    .quad isr_31
    .quad isr_32
    .quad isr_33
    .quad isr_34
    .quad isr_35
    .quad isr_36
    .quad isr_37
    .quad isr_38
    .quad isr_39
    .quad isr_40
    .quad isr_41
    .quad isr_42
    .quad isr_43
    .quad isr_44
    .quad isr_45
    .quad isr_46
    .quad isr_47
    .quad isr_48
    .quad isr_49
    .quad isr_50
    .quad isr_51
    .quad isr_52
    .quad isr_53
    .quad isr_54
    .quad isr_55
    .quad isr_56
    .quad isr_57
    .quad isr_58
    .quad isr_59
    .quad isr_60
    .quad isr_61
    .quad isr_62
    .quad isr_63
    .quad isr_64
    .quad isr_65
    .quad isr_66
    .quad isr_67
    .quad isr_68
    .quad isr_69
    .quad isr_70
    .quad isr_71
    .quad isr_72
    .quad isr_73
    .quad isr_74
    .quad isr_75
    .quad isr_76
    .quad isr_77
    .quad isr_78
    .quad isr_79
    .quad isr_80
    .quad isr_81
    .quad isr_82
    .quad isr_83
    .quad isr_84
    .quad isr_85
    .quad isr_86
    .quad isr_87
    .quad isr_88
    .quad isr_89
    .quad isr_90
    .quad isr_91
    .quad isr_92
    .quad isr_93
    .quad isr_94
    .quad isr_95
    .quad isr_96
    .quad isr_97
    .quad isr_98
    .quad isr_99
    .quad isr_100
    .quad isr_101
    .quad isr_102
    .quad isr_103
    .quad isr_104
    .quad isr_105
    .quad isr_106
    .quad isr_107
    .quad isr_108
    .quad isr_109
    .quad isr_110
    .quad isr_111
    .quad isr_112
    .quad isr_113
    .quad isr_114
    .quad isr_115
    .quad isr_116
    .quad isr_117
    .quad isr_118
    .quad isr_119
    .quad isr_120
    .quad isr_121
    .quad isr_122
    .quad isr_123
    .quad isr_124
    .quad isr_125
    .quad isr_126
    .quad isr_127
    .quad isr_128
    .quad isr_129
    .quad isr_130
    .quad isr_131
    .quad isr_132
    .quad isr_133
    .quad isr_134
    .quad isr_135
    .quad isr_136
    .quad isr_137
    .quad isr_138
    .quad isr_139
    .quad isr_140
    .quad isr_141
    .quad isr_142
    .quad isr_143
    .quad isr_144
    .quad isr_145
    .quad isr_146
    .quad isr_147
    .quad isr_148
    .quad isr_149
    .quad isr_150
    .quad isr_151
    .quad isr_152
    .quad isr_153
    .quad isr_154
    .quad isr_155
    .quad isr_156
    .quad isr_157
    .quad isr_158
    .quad isr_159
    .quad isr_160
    .quad isr_161
    .quad isr_162
    .quad isr_163
    .quad isr_164
    .quad isr_165
    .quad isr_166
    .quad isr_167
    .quad isr_168
    .quad isr_169
    .quad isr_170
    .quad isr_171
    .quad isr_172
    .quad isr_173
    .quad isr_174
    .quad isr_175
    .quad isr_176
    .quad isr_177
    .quad isr_178
    .quad isr_179
    .quad isr_180
    .quad isr_181
    .quad isr_182
    .quad isr_183
    .quad isr_184
    .quad isr_185
    .quad isr_186
    .quad isr_187
    .quad isr_188
    .quad isr_189
    .quad isr_190
    .quad isr_191
    .quad isr_192
    .quad isr_193
    .quad isr_194
    .quad isr_195
    .quad isr_196
    .quad isr_197
    .quad isr_198
    .quad isr_199
    .quad isr_200
    .quad isr_201
    .quad isr_202
    .quad isr_203
    .quad isr_204
    .quad isr_205
    .quad isr_206
    .quad isr_207
    .quad isr_208
    .quad isr_209
    .quad isr_210
    .quad isr_211
    .quad isr_212
    .quad isr_213
    .quad isr_214
    .quad isr_215
    .quad isr_216
    .quad isr_217
    .quad isr_218
    .quad isr_219
    .quad isr_220
    .quad isr_221
    .quad isr_222
    .quad isr_223
    .quad isr_224
    .quad isr_225
    .quad isr_226
    .quad isr_227
    .quad isr_228
    .quad isr_229
    .quad isr_230
    .quad isr_231
    .quad isr_232
    .quad isr_233
    .quad isr_234
    .quad isr_235
    .quad isr_236
    .quad isr_237
    .quad isr_238
    .quad isr_239
    .quad isr_240
    .quad isr_241
    .quad isr_242
    .quad isr_243
    .quad isr_244
    .quad isr_245
    .quad isr_246
    .quad isr_247
    .quad isr_248
    .quad isr_249
    .quad isr_250
    .quad isr_251
    .quad isr_252
    .quad isr_253
    .quad isr_254
    .quad isr_255
    "#,
    options(att_syntax)
);

extern "C" {
    static isr_table: [u64; 256];
}

/// The entry stub addresses, for the IDT.
pub fn stubs() -> &'static [u64; 256] {
    // SAFETY: `isr_table` is an immutable table defined in the asm above.
    unsafe { &isr_table }
}
