package main

// The demo province, invented but shaped as the 2025 reorganisation left the real ones (An
// Giang took in Kiên Giang; docs/reorganisation.md): the former tỉnh Mẫu Sơn and tỉnh Lam Hà
// merged on 1 July 2025 into the new tỉnh Mẫu Sơn; departments merged or split on 1 March
// 2025 (Kế hoạch và Đầu tư into Tài chính, Giao thông vận tải into Xây dựng, Tài nguyên và
// Môi trường with Nông nghiệp into Nông nghiệp và Môi trường, Lao động – Thương binh và Xã hội
// split between Nội vụ, Y tế and Giáo dục); the district level was abolished and its
// procedures moved to the new communes, which merged the former ones (one split in two, one
// unchanged, an island district became a special zone without answers yet). Names and codes
// are fictional; a unit that continued keeps its code.

// demoUnit is one unit of the demo province. A unit of 2023 that ceased has no receipts this
// year; a unit formed in 2025 none in 2023; a unit that continued has both.
type demoUnit struct {
	code, name, level, parent string
	recv23, recvNow           int64   // receipts of 2023 and of this year (0: not a unit that year)
	n23, nNow                 int     // answers of 2023 (paper survey) and this year (through sipas)
	q23, qNow                 float64 // share satisfied, before individual variation
}

// demoUnits lists the register in import order (parents before their communes).
var demoUnits = []demoUnit{
	// Province level: the centres, departments that continued, merged, split or were formed.
	{"DEMO.TTHCC", "Trung tâm Phục vụ hành chính công tỉnh Mẫu Sơn", "province", "", 38000, 61000, 450, 600, 0.86, 0.87},
	{"DEMO.LH.TTHCC", "Trung tâm Phục vụ hành chính công tỉnh Lam Hà (đến 30/6/2025)", "province", "", 21000, 0, 340, 0, 0.80, 0},
	{"DEMO.STP", "Sở Tư pháp tỉnh Mẫu Sơn", "province", "", 8800, 14500, 260, 300, 0.82, 0.84},
	{"DEMO.LH.STP", "Sở Tư pháp tỉnh Lam Hà (đến 30/6/2025)", "province", "", 5200, 0, 220, 0, 0.78, 0},
	{"DEMO.STC", "Sở Tài chính tỉnh Mẫu Sơn", "province", "", 5400, 17000, 230, 310, 0.80, 0.85},
	{"DEMO.SKHDT", "Sở Kế hoạch và Đầu tư tỉnh Mẫu Sơn (đến 28/2/2025)", "province", "", 6100, 0, 240, 0, 0.72, 0},
	{"DEMO.LH.STC", "Sở Tài chính tỉnh Lam Hà (đến 30/6/2025)", "province", "", 3300, 0, 200, 0, 0.79, 0},
	{"DEMO.LH.SKHDT", "Sở Kế hoạch và Đầu tư tỉnh Lam Hà (đến 28/2/2025)", "province", "", 3900, 0, 210, 0, 0.70, 0},
	{"DEMO.SXD", "Sở Xây dựng tỉnh Mẫu Sơn", "province", "", 5000, 13500, 230, 290, 0.76, 0.62},
	{"DEMO.SGTVT", "Sở Giao thông vận tải tỉnh Mẫu Sơn (đến 28/2/2025)", "province", "", 7600, 0, 250, 0, 0.70, 0},
	{"DEMO.STNMT", "Sở Tài nguyên và Môi trường tỉnh Mẫu Sơn (đến 28/2/2025)", "province", "", 15500, 0, 300, 0, 0.74, 0},
	{"DEMO.SNNPTNT", "Sở Nông nghiệp và Phát triển nông thôn tỉnh Mẫu Sơn (đến 28/2/2025)", "province", "", 4800, 0, 230, 0, 0.81, 0},
	{"DEMO.SNNMT", "Sở Nông nghiệp và Môi trường tỉnh Mẫu Sơn", "province", "", 0, 21000, 0, 340, 0, 0.78},
	{"DEMO.SLDTBXH", "Sở Lao động – Thương binh và Xã hội tỉnh Mẫu Sơn (đến 28/2/2025)", "province", "", 9000, 0, 260, 0, 0.77, 0},
	{"DEMO.SNV", "Sở Nội vụ tỉnh Mẫu Sơn", "province", "", 2600, 8200, 200, 250, 0.83, 0.82},
	{"DEMO.SYT", "Sở Y tế tỉnh Mẫu Sơn", "province", "", 6800, 9600, 240, 260, 0.79, 0.80},
	{"DEMO.SGDDT", "Sở Giáo dục và Đào tạo tỉnh Mẫu Sơn", "province", "", 3700, 5200, 210, 230, 0.84, 0.86},
	// The districts, until 30 June 2025.
	{"DEMO.H01", "UBND huyện Đồng Lâm (đến 30/6/2025)", "district", "", 21000, 0, 300, 0, 0.80, 0},
	{"DEMO.H02", "UBND huyện Sơn Hà (đến 30/6/2025)", "district", "", 12400, 0, 280, 0, 0.77, 0},
	{"DEMO.LH.H01", "UBND thị xã Ngọc Hồ (đến 30/6/2025)", "district", "", 15800, 0, 290, 0, 0.75, 0},
	{"DEMO.LH.H02", "UBND huyện Hòn Ngọc (đến 30/6/2025)", "district", "", 2100, 0, 120, 0, 0.70, 0},
	// The communes before merging.
	{"DEMO.X0101", "UBND xã Tân Phú (đến 30/6/2025)", "commune", "DEMO.H01", 2300, 0, 40, 0, 0.88, 0},
	{"DEMO.X0102", "UBND xã Hòa Bình (đến 30/6/2025)", "commune", "DEMO.H01", 900, 0, 30, 0, 0.83, 0},
	{"DEMO.X0103", "UBND thị trấn Đồng Lâm (đến 30/6/2025)", "commune", "DEMO.H01", 3100, 0, 45, 0, 0.81, 0},
	{"DEMO.X0104", "UBND xã Phú Lâm (đến 30/6/2025)", "commune", "DEMO.H01", 1200, 0, 30, 0, 0.78, 0},
	{"DEMO.X0105", "UBND xã Vĩnh Lợi (đến 30/6/2025)", "commune", "DEMO.H01", 1500, 0, 32, 0, 0.74, 0},
	{"DEMO.X0106", "UBND xã An Thạnh (đến 30/6/2025)", "commune", "DEMO.H01", 700, 0, 20, 0, 0.86, 0},
	{"DEMO.X0107", "UBND xã Bình Mỹ (đến 30/6/2025)", "commune", "DEMO.H01", 1100, 0, 28, 0, 0.80, 0},
	{"DEMO.X0108", "UBND xã Tây Sơn (đến 30/6/2025)", "commune", "DEMO.H01", 800, 0, 22, 0, 0.77, 0},
	{"DEMO.X0201", "UBND xã Thạnh Mỹ (đến 30/6/2025)", "commune", "DEMO.H02", 420, 0, 15, 0, 0.79, 0},
	{"DEMO.X0202", "UBND thị trấn Sơn Hà (đến 30/6/2025)", "commune", "DEMO.H02", 2600, 0, 40, 0, 0.82, 0},
	{"DEMO.X0203", "UBND xã Mỹ Lợi (đến 30/6/2025)", "commune", "DEMO.H02", 650, 0, 18, 0, 0.72, 0},
	{"DEMO.X0204", "UBND xã Hà Thanh (đến 30/6/2025)", "commune", "DEMO.H02", 900, 0, 25, 0, 0.84, 0},
	{"DEMO.X0205", "UBND xã Suối Đá (đến 30/6/2025)", "commune", "DEMO.H02", 500, 0, 16, 0, 0.70, 0},
	{"DEMO.X0206", "UBND xã Tân Hiệp (đến 30/6/2025)", "commune", "DEMO.H02", 1000, 0, 26, 0, 0.76, 0},
	{"DEMO.LH.X0101", "UBND phường Ngọc Châu (đến 30/6/2025)", "commune", "DEMO.LH.H01", 3500, 0, 50, 0, 0.79, 0},
	{"DEMO.LH.X0102", "UBND phường Ngọc Thủy (đến 30/6/2025)", "commune", "DEMO.LH.H01", 2800, 0, 45, 0, 0.74, 0},
	{"DEMO.LH.X0103", "UBND phường Bắc Sơn (đến 30/6/2025)", "commune", "DEMO.LH.H01", 1900, 0, 35, 0, 0.77, 0},
	{"DEMO.LH.X0104", "UBND xã Hồ Tây (đến 30/6/2025)", "commune", "DEMO.LH.H01", 800, 0, 20, 0, 0.71, 0},
	{"DEMO.LH.X0105", "UBND xã Lam Điền (đến 30/6/2025)", "commune", "DEMO.LH.H01", 1300, 0, 28, 0, 0.80, 0},
	{"DEMO.LH.X0106", "UBND xã Điền Thạnh (đến 30/6/2025)", "commune", "DEMO.LH.H01", 700, 0, 18, 0, 0.83, 0},
	{"DEMO.LH.X0201", "UBND xã Hòn Ngọc (đến 30/6/2025)", "commune", "DEMO.LH.H02", 900, 0, 20, 0, 0.72, 0},
	{"DEMO.LH.X0202", "UBND xã Bãi Dài (đến 30/6/2025)", "commune", "DEMO.LH.H02", 400, 0, 12, 0, 0.76, 0},
	// The communes since 1 July 2025: xã Cỏ Lau kept its boundaries (and code), đặc khu Hòn
	// Ngọc has no answers yet (its estimate is the model's alone).
	{"DEMO.LH.X0107", "UBND xã Cỏ Lau", "commune", "", 600, 2500, 16, 4, 0.85, 0.86},
	{"DEMO.XM01", "UBND xã Tây Hòa", "commune", "", 0, 9400, 0, 45, 0, 0.86},
	{"DEMO.XM02", "UBND xã Đồng Lâm", "commune", "", 0, 12500, 0, 90, 0, 0.80},
	{"DEMO.XM03", "UBND xã Vĩnh An", "commune", "", 0, 5200, 0, 6, 0, 0.75},
	{"DEMO.XM04", "UBND xã Bình Mỹ", "commune", "", 0, 6700, 0, 14, 0, 0.82},
	{"DEMO.XM05", "UBND xã Sơn Hà", "commune", "", 0, 9900, 0, 60, 0, 0.85},
	{"DEMO.XM06", "UBND xã Thạnh Mỹ", "commune", "", 0, 4600, 0, 3, 0, 0.78},
	{"DEMO.XM07", "UBND xã Tân Hiệp", "commune", "", 0, 5700, 0, 22, 0, 0.60},
	{"DEMO.XM08", "UBND phường Ngọc Hồ", "commune", "", 0, 13800, 0, 130, 0, 0.89},
	{"DEMO.XM09", "UBND phường Bắc Hồ", "commune", "", 0, 6900, 0, 9, 0, 0.76},
	{"DEMO.XM10", "UBND xã Lam Điền", "commune", "", 0, 6100, 0, 30, 0, 0.88},
	{"DEMO.XM12", "UBND đặc khu Hòn Ngọc", "commune", "", 0, 3400, 0, 0, 0, 0.80},
}

// demoCrosswalk is the crosswalk.csv of the demo, as an office would write it from the
// resolutions: a former unit's receipts go to its successors (shares by the former communes'
// receipts where a district or a commune was divided); chains compose (Kế hoạch và Đầu tư
// Lam Hà → Tài chính Lam Hà → Tài chính Mẫu Sơn).
const demoCrosswalk = `from_code,to_code,share,since
DEMO.SKHDT,DEMO.STC,1,2025-03-01
DEMO.LH.SKHDT,DEMO.LH.STC,1,2025-03-01
DEMO.SGTVT,DEMO.SXD,1,2025-03-01
DEMO.STNMT,DEMO.SNNMT,1,2025-03-01
DEMO.SNNPTNT,DEMO.SNNMT,1,2025-03-01
DEMO.SLDTBXH,DEMO.SNV,0.6,2025-03-01
DEMO.SLDTBXH,DEMO.SYT,0.3,2025-03-01
DEMO.SLDTBXH,DEMO.SGDDT,0.1,2025-03-01
DEMO.LH.TTHCC,DEMO.TTHCC,1,2025-07-01
DEMO.LH.STP,DEMO.STP,1,2025-07-01
DEMO.LH.STC,DEMO.STC,1,2025-07-01
DEMO.H01,DEMO.XM01,0.28,2025-07-01
DEMO.H01,DEMO.XM02,0.34,2025-07-01
DEMO.H01,DEMO.XM03,0.16,2025-07-01
DEMO.H01,DEMO.XM04,0.22,2025-07-01
DEMO.H02,DEMO.XM05,0.45,2025-07-01
DEMO.H02,DEMO.XM06,0.25,2025-07-01
DEMO.H02,DEMO.XM07,0.3,2025-07-01
DEMO.LH.H01,DEMO.XM08,0.38,2025-07-01
DEMO.LH.H01,DEMO.XM09,0.24,2025-07-01
DEMO.LH.H01,DEMO.XM10,0.24,2025-07-01
DEMO.LH.H01,DEMO.LH.X0107,0.14,2025-07-01
DEMO.LH.H02,DEMO.XM12,1,2025-07-01
DEMO.X0101,DEMO.XM01,1,2025-07-01
DEMO.X0102,DEMO.XM01,1,2025-07-01
DEMO.X0103,DEMO.XM02,1,2025-07-01
DEMO.X0104,DEMO.XM02,1,2025-07-01
DEMO.X0105,DEMO.XM02,0.6,2025-07-01
DEMO.X0105,DEMO.XM03,0.4,2025-07-01
DEMO.X0106,DEMO.XM03,1,2025-07-01
DEMO.X0107,DEMO.XM04,1,2025-07-01
DEMO.X0108,DEMO.XM04,1,2025-07-01
DEMO.X0201,DEMO.XM06,1,2025-07-01
DEMO.X0202,DEMO.XM05,1,2025-07-01
DEMO.X0203,DEMO.XM06,1,2025-07-01
DEMO.X0204,DEMO.XM05,1,2025-07-01
DEMO.X0205,DEMO.XM07,1,2025-07-01
DEMO.X0206,DEMO.XM07,1,2025-07-01
DEMO.LH.X0101,DEMO.XM08,1,2025-07-01
DEMO.LH.X0102,DEMO.XM08,1,2025-07-01
DEMO.LH.X0103,DEMO.XM09,1,2025-07-01
DEMO.LH.X0104,DEMO.XM09,1,2025-07-01
DEMO.LH.X0105,DEMO.XM10,1,2025-07-01
DEMO.LH.X0106,DEMO.XM10,1,2025-07-01
DEMO.LH.X0201,DEMO.XM12,1,2025-07-01
DEMO.LH.X0202,DEMO.XM12,1,2025-07-01
`
