/* SPDX-License-Identifier: GPL-2.0 */
/* `daxtrace report FILE...`: a capture read back into the text report. */
#ifndef __DT_OFFLINE_REPORT_H
#define __DT_OFFLINE_REPORT_H

#include "capture_reader.h"

int dt_offline_report_main(int argc, char **argv);

#endif /* __DT_OFFLINE_REPORT_H */
