package report

// words is every piece of fixed wording the writers show, in one language.
// The terms are those of GLOSSARY.md. Both languages fill the same struct,
// and TestWords fails on a field either leaves empty, so a missing
// translation is caught by the tests rather than on an official's report.
type words struct {
	title, overall                                        string
	kindQuestion, kindAspect, kindOverall                 string
	basisStratified, basisUnweighted                      string
	higher, lower, noChange, insufficient                 string
	indicative, indicativeNote                            string
	survey, year, baseline, noBaseline, scope             string
	fromResponses, fromAggregates                         string
	filters, noFilters, filterAgency, filterLevel         string
	filterChannel                                         string
	levels, channels                                      map[string]string
	respondents, generated, diagnostic                    string
	headlineIndex, changeFrom                             string
	baselineEstimate, unweightedFallback                  string
	sentenceIndex, sentenceNoData, sentenceChange         string
	sentenceNoChangeData                                  string
	sheetSummary, sheetIndices, sheetAgencies, sheetNotes string
	colCode, colKind, colAspect, colText, colBasis        string
	colEstimate, colCILow, colCIHigh, colSE, colN         string
	colNEff, colDeff, colChange, colChangeLow             string
	colChangeHigh, colP, colVerdict, colBaseEst           string
	colBaseN, colDropped, colNo, colAgency, colAgencyName string
	colPHolm, colVerdictHolm, colNote, colCI              string
	colNShort, colVerdictHolmShort                        string // narrow PDF columns
	agencyTable, agencyBasis, indicesTable, chartTitle    string
	chartThisYear, chartBaseline, chartCINote, methodHead string
	page, noAgencies, noAspects                           string
	trendTitle, trendDesc, trendNoData, month             string
	monthShort                                            [12]string
	notes                                                 []string
	noteAggregates                                        string
}

var viWords = words{
	title:        "Chỉ số hài lòng về sự phục vụ hành chính (SIPAS)",
	overall:      "Chỉ số hài lòng chung",
	kindQuestion: "Tiêu chí",
	kindAspect:   "Yếu tố",
	kindOverall:  "Chỉ số chung",

	basisStratified: "có trọng số theo số hồ sơ",
	basisUnweighted: "không trọng số",

	higher:         "cao hơn có ý nghĩa thống kê",
	lower:          "thấp hơn có ý nghĩa thống kê",
	noChange:       "chưa thay đổi có ý nghĩa thống kê",
	insufficient:   "chưa đủ dữ liệu",
	indicative:     "chỉ mang tính tham khảo (cỡ mẫu nhỏ)",
	indicativeNote: "* chỉ mang tính tham khảo (cỡ mẫu nhỏ): số phiếu của cơ quan dưới cỡ mẫu cần cho sai số ±5%.",

	survey:         "Khảo sát",
	year:           "Năm",
	baseline:       "Năm gốc (so sánh)",
	noBaseline:     "không so sánh",
	scope:          "Phạm vi",
	fromResponses:  "từ phiếu khảo sát",
	fromAggregates: "số liệu đã công bố",
	filters:        "Bộ lọc",
	noFilters:      "không (toàn bộ phiếu trong phạm vi)",
	filterAgency:   "Cơ quan",
	filterLevel:    "Cấp",
	filterChannel:  "Kênh",
	levels:         map[string]string{"province": "cấp tỉnh", "district": "cấp huyện", "commune": "cấp xã"},
	channels:       map[string]string{"counter": "trực tiếp", "online": "trực tuyến", "postal": "bưu chính"},

	respondents:        "Số phiếu",
	generated:          "Ngày lập báo cáo",
	diagnostic:         "Chỉ số chung không trọng số (để đối chiếu)",
	headlineIndex:      "Chỉ số hài lòng chung",
	changeFrom:         "Chênh lệch so với năm %d (điểm %%)",
	baselineEstimate:   "Chỉ số năm %d",
	unweightedFallback: "Chưa tính được chỉ số có trọng số (thiếu số hồ sơ của một số cơ quan); số liệu chính là số liệu không trọng số.",

	sentenceIndex:        "Chỉ số hài lòng chung năm %d là %s, khoảng tin cậy 95%%: %s",
	sentenceNoData:       "Chưa đủ dữ liệu để tính chỉ số hài lòng chung năm %d.",
	sentenceChange:       "; %s so với năm %d (chênh lệch %s, khoảng tin cậy 95%%: %s; %s).",
	sentenceNoChangeData: "; so với năm %d: chưa đủ dữ liệu.",

	sheetSummary:  "Tổng hợp",
	sheetIndices:  "Chỉ số",
	sheetAgencies: "Cơ quan",
	sheetNotes:    "Phương pháp",

	colCode:             "Mã",
	colKind:             "Loại",
	colAspect:           "Yếu tố",
	colText:             "Nội dung",
	colBasis:            "Cơ sở tính",
	colEstimate:         "Chỉ số",
	colCILow:            "Cận dưới 95%",
	colCIHigh:           "Cận trên 95%",
	colSE:               "Sai số chuẩn",
	colN:                "Cỡ mẫu",
	colNEff:             "Cỡ mẫu hiệu dụng",
	colDeff:             "Hệ số thiết kế",
	colChange:           "Chênh lệch (điểm %)",
	colChangeLow:        "Chênh lệch: cận dưới 95%",
	colChangeHigh:       "Chênh lệch: cận trên 95%",
	colP:                "p",
	colVerdict:          "Kết luận",
	colBaseEst:          "Chỉ số năm gốc",
	colBaseN:            "Cỡ mẫu năm gốc",
	colDropped:          "Tiêu chí không có câu trả lời (loại khỏi chỉ số)",
	colNo:               "STT",
	colAgency:           "Mã cơ quan",
	colAgencyName:       "Cơ quan, đơn vị",
	colPHolm:            "p (Holm)",
	colVerdictHolm:      "Kết luận (hiệu chỉnh so sánh bội Holm)",
	colNote:             "Ghi chú",
	colNShort:           "Cỡ mẫu",
	colVerdictHolmShort: "Kết luận (Holm)",
	colCI:               "Khoảng tin cậy 95%",

	agencyTable:   "Bảng xếp hạng cơ quan, đơn vị",
	agencyBasis:   "Chỉ số hài lòng chung của từng cơ quan (không trọng số), xếp từ cao đến thấp.",
	indicesTable:  "Chỉ số theo tiêu chí và yếu tố",
	chartTitle:    "Chỉ số hài lòng theo yếu tố",
	chartThisYear: "Năm %d",
	chartBaseline: "Năm %d",
	chartCINote:   "Đoạn thẳng: khoảng tin cậy 95%% của năm %d.",
	methodHead:    "Ghi chú phương pháp",
	page:          "Trang %d/%s",
	noAgencies:    "Không có cơ quan nào trong phạm vi báo cáo.",
	noAspects:     "Chưa đủ dữ liệu.",

	trendTitle:  "Chỉ số hài lòng theo tháng",
	trendDesc:   "Chỉ số hài lòng theo tháng, kèm khoảng tin cậy 95%",
	trendNoData: "Chưa đủ dữ liệu theo tháng.",
	month:       "Tháng %d",
	monthShort:  [12]string{"T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10", "T11", "T12"},

	notes: []string{
		"Tỷ lệ hài lòng của một tiêu chí là tỷ lệ người trả lời chọn mức 4 (Hài lòng) hoặc 5 (Rất hài lòng) trong số người trả lời tiêu chí đó; câu bỏ trống hoặc “Không áp dụng” không tính vào mẫu số.",
		"Chỉ số của một yếu tố là trung bình tỷ lệ hài lòng của các tiêu chí thuộc yếu tố đó; chỉ số hài lòng chung là trung bình chỉ số của các yếu tố. Tiêu chí không có câu trả lời nào được loại ra và ghi rõ.",
		"Số liệu chính thức tính có trọng số theo số hồ sơ: mẫu phân tầng theo cơ quan, mỗi phiếu có trọng số bằng số hồ sơ tiếp nhận của cơ quan chia cho số phiếu của cơ quan. Số liệu không trọng số chỉ dùng để đối chiếu, vì mẫu thô đại diện quá mức cho cơ quan nhỏ.",
		"Khoảng tin cậy 95%: tiêu chí không trọng số theo phương pháp Wilson; tiêu chí có trọng số theo Wilson trên cỡ mẫu hiệu dụng (n hiệu dụng = p(1−p)/V, không vượt quá n); yếu tố và chỉ số chung theo phương sai tuyến tính hóa (Taylor), với phân phối t (không trọng số) hoặc phân phối chuẩn z (có trọng số).",
		"So sánh với năm gốc: tiêu chí không trọng số dùng khoảng tin cậy Newcombe (phương pháp 10) và kiểm định z gộp hai tỷ lệ; yếu tố và chỉ số chung không trọng số dùng kiểm định Welch; số liệu có trọng số dùng kiểm định z. Chênh lệch có ý nghĩa thống kê khi khoảng tin cậy 95% của chênh lệch không chứa 0.",
		"Bảng xếp hạng cơ quan dùng chỉ số hài lòng chung không trọng số của từng cơ quan; kết luận về thay đổi đã hiệu chỉnh so sánh bội theo phương pháp Holm (có ý nghĩa khi p Holm < 0,05).",
		"Cơ quan có số phiếu dưới cỡ mẫu cần cho sai số ±5% (công thức Cochran, có hiệu chỉnh tổng thể hữu hạn) được ghi “chỉ mang tính tham khảo (cỡ mẫu nhỏ)”.",
	},
	noteAggregates: "Năm gốc chỉ có số liệu đã công bố (không có phiếu gốc): phương sai của năm gốc được ước lượng theo tỷ lệ phương sai của năm nay, và không có so sánh theo từng cơ quan.",
}

var enWords = words{
	title:        "Satisfaction Index of Public Administrative Services (SIPAS)",
	overall:      "Overall satisfaction index",
	kindQuestion: "Criterion",
	kindAspect:   "Aspect",
	kindOverall:  "Overall",

	basisStratified: "weighted by receipts (stratified)",
	basisUnweighted: "unweighted",

	higher:         "significantly higher",
	lower:          "significantly lower",
	noChange:       "no significant change",
	insufficient:   "insufficient data",
	indicative:     "indicative only (small sample)",
	indicativeNote: "* indicative only (small sample): the agency has fewer responses than a ±5% index needs.",

	survey:         "Survey",
	year:           "Year",
	baseline:       "Baseline year",
	noBaseline:     "no comparison",
	scope:          "Scope",
	fromResponses:  "survey responses",
	fromAggregates: "published figures",
	filters:        "Filters",
	noFilters:      "none (all responses in scope)",
	filterAgency:   "Agency",
	filterLevel:    "Level",
	filterChannel:  "Channel",
	levels:         map[string]string{"province": "province level", "district": "district level", "commune": "commune level"},
	channels:       map[string]string{"counter": "in person", "online": "online", "postal": "postal"},

	respondents:        "Responses",
	generated:          "Generated",
	diagnostic:         "Overall index, unweighted (diagnostic)",
	headlineIndex:      "Overall satisfaction index",
	changeFrom:         "Change from %d (percentage points)",
	baselineEstimate:   "Index %d",
	unweightedFallback: "No receipts-weighted index could be computed (some agencies lack receipt counts); the unweighted figures are the main figures.",

	sentenceIndex:        "The overall satisfaction index for %d is %s, 95%% confidence interval %s",
	sentenceNoData:       "There are not enough data for the overall satisfaction index for %d.",
	sentenceChange:       "; compared with %[2]d: %[1]s (change %[3]s, 95%% confidence interval %[4]s; %[5]s).",
	sentenceNoChangeData: "; compared with %d: insufficient data.",

	sheetSummary:  "Summary",
	sheetIndices:  "Indices",
	sheetAgencies: "Agencies",
	sheetNotes:    "Method",

	colCode:             "Code",
	colKind:             "Kind",
	colAspect:           "Aspect",
	colText:             "Wording",
	colBasis:            "Basis",
	colEstimate:         "Index",
	colCILow:            "95% lower",
	colCIHigh:           "95% upper",
	colSE:               "Standard error",
	colN:                "Sample size",
	colNEff:             "Effective sample size",
	colDeff:             "Design effect",
	colChange:           "Change (points)",
	colChangeLow:        "Change: 95% lower",
	colChangeHigh:       "Change: 95% upper",
	colP:                "p",
	colVerdict:          "Conclusion",
	colBaseEst:          "Baseline index",
	colBaseN:            "Baseline sample size",
	colDropped:          "Criteria nobody answered (left out)",
	colNo:               "No.",
	colAgency:           "Agency code",
	colAgencyName:       "Agency",
	colPHolm:            "p (Holm)",
	colVerdictHolm:      "Conclusion (Holm multiple-comparison adjustment)",
	colNote:             "Note",
	colNShort:           "n",
	colVerdictHolmShort: "Conclusion (Holm)",
	colCI:               "95% confidence interval",

	agencyTable:   "Agency league table",
	agencyBasis:   "Overall satisfaction index of each agency (unweighted), highest first.",
	indicesTable:  "Indices by criterion and aspect",
	chartTitle:    "Satisfaction index by aspect",
	chartThisYear: "%d",
	chartBaseline: "%d",
	chartCINote:   "Whiskers: 95%% confidence interval for %d.",
	methodHead:    "Method notes",
	page:          "Page %d/%s",
	noAgencies:    "No agency is in the scope of the report.",
	noAspects:     "Insufficient data.",

	trendTitle:  "Satisfaction index by month",
	trendDesc:   "Monthly satisfaction index with 95% confidence intervals",
	trendNoData: "Insufficient monthly data.",
	month:       "Month %d",
	monthShort:  [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},

	notes: []string{
		"The share satisfied of a criterion is the share of its respondents who answered 4 (Satisfied) or 5 (Very satisfied); blank and “Not applicable” answers are left out of the denominator.",
		"An aspect index is the mean of the shares satisfied of its criteria; the overall index is the mean of the aspect indices. Criteria nobody answered are left out and listed.",
		"The headline figures are weighted by receipts: the sample is stratified by agency and each response weighs the agency's receipts divided by its responses. Unweighted figures are a diagnostic only, because the raw sample over-represents small agencies.",
		"95% confidence intervals: Wilson for unweighted criteria; Wilson on the effective sample size for weighted criteria (n_eff = p(1−p)/V, at most n); linearised (Taylor) variance for aspects and the overall index, with t (unweighted) or z (weighted) quantiles.",
		"Comparison with the baseline: Newcombe's interval (method 10) and the pooled two-proportion z test for unweighted criteria; Welch's test for unweighted aspects and the overall index; a z test on the weighted basis. A change is significant when its 95% confidence interval excludes 0.",
		"The agency league table uses each agency's unweighted overall index; its conclusions on change are adjusted for multiple comparisons by Holm's method (significant when the Holm p < 0.05).",
		"Agencies with fewer responses than a ±5% index needs (Cochran's formula with finite-population correction) are marked “indicative only (small sample)”.",
	},
	noteAggregates: "The baseline has published figures only (no raw responses): its variance is borrowed from this year's variance ratio, and agencies are not compared.",
}
