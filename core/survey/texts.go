package survey

import "strings"

// Message keys of the survey's texts.
const (
	MsgQuestionNPS  = "question_nps"
	MsgQuestionCSAT = "question_csat"
	MsgButton       = "button"
	MsgSection      = "section"
	MsgFollowUp     = "follow_up"
	MsgThanks       = "thanks"
	MsgThanksPoints = "thanks_points" // {points}
	MsgAlready      = "already"
	MsgHandoff      = "handoff"
	MsgComment      = "comment_thanks"
)

// texts are the defaults in the chatbot's five languages.
var texts = map[string]map[string]string{
	"en": {
		MsgQuestionNPS:  "How likely are you to recommend us to a friend? Choose 10 (very likely) to 1, or type 0 (not at all).",
		MsgQuestionCSAT: "How satisfied are you with your experience? Choose 5 (very satisfied) to 1 (very dissatisfied).",
		MsgButton:       "Choose a score",
		MsgSection:      "Score",
		MsgFollowUp:     "Thank you! What is the main reason for your score? Just type your answer.",
		MsgThanks:       "Thank you for your feedback!",
		MsgThanksPoints: "Thank you for your feedback! You earned {points} points.",
		MsgAlready:      "Thank you, we already have your answer to this survey.",
		MsgHandoff:      "We are sorry to hear that. A member of our team will contact you here shortly.",
		MsgComment:      "Thank you, we have noted your comment.",
	},
	"id": {
		MsgQuestionNPS:  "Seberapa besar kemungkinan Anda merekomendasikan kami kepada teman? Pilih 10 (sangat mungkin) sampai 1, atau ketik 0 (sama sekali tidak).",
		MsgQuestionCSAT: "Seberapa puas Anda dengan pengalaman Anda? Pilih 5 (sangat puas) sampai 1 (sangat tidak puas).",
		MsgButton:       "Pilih nilai",
		MsgSection:      "Nilai",
		MsgFollowUp:     "Terima kasih! Apa alasan utama nilai Anda? Ketik saja jawaban Anda.",
		MsgThanks:       "Terima kasih atas masukan Anda!",
		MsgThanksPoints: "Terima kasih atas masukan Anda! Anda mendapat {points} poin.",
		MsgAlready:      "Terima kasih, kami sudah menerima jawaban Anda untuk survei ini.",
		MsgHandoff:      "Kami mohon maaf. Tim kami akan segera menghubungi Anda di sini.",
		MsgComment:      "Terima kasih, komentar Anda sudah kami catat.",
	},
	"tr": {
		MsgQuestionNPS:  "Bizi bir arkadaşınıza tavsiye etme olasılığınız nedir? 10 (çok olası) ile 1 arasında seçin ya da 0 (hiç) yazın.",
		MsgQuestionCSAT: "Deneyiminizden ne kadar memnunsunuz? 5 (çok memnun) ile 1 (hiç memnun değil) arasında seçin.",
		MsgButton:       "Puan seçin",
		MsgSection:      "Puan",
		MsgFollowUp:     "Teşekkürler! Puanınızın ana nedeni nedir? Cevabınızı yazmanız yeterli.",
		MsgThanks:       "Geri bildiriminiz için teşekkürler!",
		MsgThanksPoints: "Geri bildiriminiz için teşekkürler! {points} puan kazandınız.",
		MsgAlready:      "Teşekkürler, bu anket için cevabınızı zaten aldık.",
		MsgHandoff:      "Bunu duyduğumuza üzüldük. Ekibimizden biri kısa süre içinde size buradan ulaşacak.",
		MsgComment:      "Teşekkürler, yorumunuzu not ettik.",
	},
	"it": {
		MsgQuestionNPS:  "Quanto è probabile che ci consigli a un amico? Scegli da 10 (molto probabile) a 1, oppure scrivi 0 (per niente).",
		MsgQuestionCSAT: "Quanto sei soddisfatto della tua esperienza? Scegli da 5 (molto soddisfatto) a 1 (per niente soddisfatto).",
		MsgButton:       "Scegli un voto",
		MsgSection:      "Voto",
		MsgFollowUp:     "Grazie! Qual è il motivo principale del tuo voto? Scrivi pure la tua risposta.",
		MsgThanks:       "Grazie per il tuo parere!",
		MsgThanksPoints: "Grazie per il tuo parere! Hai guadagnato {points} punti.",
		MsgAlready:      "Grazie, abbiamo già la tua risposta a questo sondaggio.",
		MsgHandoff:      "Ci dispiace. Una persona del nostro team ti contatterà qui a breve.",
		MsgComment:      "Grazie, abbiamo preso nota del tuo commento.",
	},
	"ar": {
		MsgQuestionNPS:  "ما مدى احتمال أن توصي بنا لصديق؟ اختر من 10 (محتمل جدًا) إلى 1، أو اكتب 0 (غير محتمل إطلاقًا).",
		MsgQuestionCSAT: "ما مدى رضاك عن تجربتك؟ اختر من 5 (راضٍ جدًا) إلى 1 (غير راضٍ إطلاقًا).",
		MsgButton:       "اختر تقييمًا",
		MsgSection:      "التقييم",
		MsgFollowUp:     "شكرًا لك! ما السبب الرئيسي لتقييمك؟ اكتب إجابتك فقط.",
		MsgThanks:       "شكرًا لك على ملاحظاتك!",
		MsgThanksPoints: "شكرًا لك على ملاحظاتك! لقد ربحت {points} نقطة.",
		MsgAlready:      "شكرًا لك، لقد تلقينا إجابتك على هذا الاستطلاع بالفعل.",
		MsgHandoff:      "نأسف لسماع ذلك. سيتواصل معك أحد أعضاء فريقنا هنا قريبًا.",
		MsgComment:      "شكرًا لك، لقد سجلنا تعليقك.",
	},
}

// rowLabels describe the ends and middle of each kind's scale.
var rowLabels = map[string]map[string]map[int]string{
	KindNPS: {
		"en": {10: "Extremely likely", 1: "Not likely"},
		"id": {10: "Sangat mungkin", 1: "Tidak mungkin"},
		"tr": {10: "Çok olası", 1: "Olası değil"},
		"it": {10: "Molto probabile", 1: "Poco probabile"},
		"ar": {10: "محتمل جدًا", 1: "غير محتمل"},
	},
	KindCSAT: {
		"en": {5: "Very satisfied", 4: "Satisfied", 3: "Neutral", 2: "Dissatisfied", 1: "Very dissatisfied"},
		"id": {5: "Sangat puas", 4: "Puas", 3: "Biasa saja", 2: "Tidak puas", 1: "Sangat tidak puas"},
		"tr": {5: "Çok memnun", 4: "Memnun", 3: "Kararsız", 2: "Memnun değil", 1: "Hiç memnun değil"},
		"it": {5: "Molto soddisfatto", 4: "Soddisfatto", 3: "Neutrale", 2: "Insoddisfatto", 1: "Molto insoddisfatto"},
		"ar": {5: "راضٍ جدًا", 4: "راضٍ", 3: "محايد", 2: "غير راضٍ", 1: "غير راضٍ إطلاقًا"},
	},
}

// Languages are the languages the defaults are written in.
func Languages() []string { return []string{"en", "id", "tr", "it", "ar"} }

// Text is the text of key in lang: the tenant's own (overrides, by
// language) first, else the default in lang, else in English. {name}
// placeholders are filled from args, in pairs.
func Text(overrides map[string]string, lang, key string, args ...string) string {
	s := overrides[lang]
	if s == "" {
		s = texts[lang][key]
	}
	if s == "" {
		s = texts["en"][key]
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
	}
	return s
}

// rowLabel is a list row's description: the scale's label of score, ""
// when it has none.
func rowLabel(kind, lang string, score int) string {
	labels := rowLabels[kind][lang]
	if labels == nil {
		labels = rowLabels[kind]["en"]
	}
	return labels[score]
}
